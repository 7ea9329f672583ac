"""Problem reports from the phone: once per UUID, routed to the grid they fall in."""
import concurrent.futures
import datetime as dt
import json
import uuid

from sqlalchemy import func, select

from server.cases.models import Problem
from server.extensions import db
from server.request_guard import BAD_CHARACTER

from .photos import jpeg_with_exif, upload

INSP_A, INSP_B, SUP_OWN, SUP_OTHER, ADMIN = "13900000101", "13900000102", "13900000012", "13900000011", "13900000001"


def _count():
    return db.session.scalar(select(func.count()).select_from(Problem))


def _body(**over):
    body = {"uuid": str(uuid.uuid4()), "category": "luan_dui", "severity": "serious",
            "description": "河岸堆放建筑垃圾约20立方米", "lon": 108.8745, "lat": 34.3655,
            "accuracy_m": 6.5, "reported_at": "2026-11-20T09:30:00+08:00"}
    body.update(over)
    return body


def test_report_with_photos_arriving_before_and_after(engine_name, api):
    token = api.token(INSP_A)
    pid = str(uuid.uuid4())
    early = upload(api, token, jpeg_with_exif(size=(640, 480)), problem_uuid=pid)  # photo first
    late_bytes = jpeg_with_exif(size=(640, 480), taken="2026:11:20 09:31:00")
    body = _body(uuid=pid, photo_uuids=[early["uuid"]])
    r = api.post("/api/v1/problems", token=token, json=body)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["category_name"] == "乱堆" and got["severity_name"] == "较严重"
    assert got["reported_at"].startswith("2026-11-20T01:30:00")  # stored in UTC
    late = upload(api, token, late_bytes, problem_uuid=pid)  # a photo after the report
    detail = api.get(f"/api/v1/problems/{pid}", token=token).json()
    assert {p["uuid"] for p in detail["photos"]} == {early["uuid"], late["uuid"]}
    assert all(p["complete"] for p in detail["photos"])


def test_problem_is_routed_to_the_grid_it_falls_in(engine_name, api):
    # a point in 六村堡街道, reported by an inspector of 汉城街道
    r = api.post("/api/v1/problems", token=api.token(INSP_A), json=_body(lon=108.8745, lat=34.3655))
    grid = r.json()["grid"]
    assert grid["level"] == "village" and grid["code"].startswith("610112008")
    pid = r.json()["uuid"]
    assert api.get(f"/api/v1/problems/{pid}", token=api.token(SUP_OTHER)).status_code == 200  # 六村堡's supervisor
    assert api.get(f"/api/v1/problems/{pid}", token=api.token(SUP_OWN)).status_code == 404
    assert api.get(f"/api/v1/problems/{pid}", token=api.token(INSP_A)).status_code == 200  # the reporter
    assert api.get(f"/api/v1/problems/{pid}", token=api.token(INSP_B)).status_code == 404
    assert pid in {p["uuid"] for p in api.get("/api/v1/problems", token=api.token(ADMIN)).json()}


def test_same_report_three_times_and_five_at_once_is_stored_once(engine_name, api):
    token = api.token(INSP_A)
    body = _body()
    answers = [api.post("/api/v1/problems", token=token, json=body) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert [a.headers["Idempotent-Replayed"] for a in answers] == ["false", "true", "true"]
    assert answers[0].json() == answers[2].json()
    body2 = _body()
    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        results = list(pool.map(lambda _: api.post("/api/v1/problems", token=token, json=body2), range(5)))
    assert {r.status_code for r in results} == {201}
    assert _count() == 2


def test_same_uuid_with_another_body_is_a_conflict(engine_name, api):
    token = api.token(INSP_A)
    body = _body()
    api.post("/api/v1/problems", token=token, json=body)
    r = api.post("/api/v1/problems", token=token, json={**body, "description": "改过的描述"})
    assert r.status_code == 409 and r.json()["code"] == "idempotency.conflict"
    r = api.post("/api/v1/problems", token=api.token(INSP_B), json=body)  # someone else's id
    assert r.status_code == 409
    assert _count() == 1


def test_bad_reports_are_refused_and_nothing_is_stored(engine_name, api):
    token = api.token(INSP_A)
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).isoformat()
    for bad in (_body(lon=200), _body(lat=float("nan")), _body(category="nonsense"),
                _body(reported_at="2026-11-20T09:30:00"), _body(reported_at=future)):
        # json.dumps writes NaN as the bare word NaN, as a careless client would
        r = api.request("POST", "/api/v1/problems", token=token, data=json.dumps(bad),
                        headers={"Content-Type": "application/json"})
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["code"] == "validation_error"
    assert _count() == 0


def test_text_no_database_can_store_is_refused_and_nothing_is_stored(engine_name, api):
    token = api.token(INSP_A)
    for bad in ("河岸\x00垃圾", "河岸\ud800垃圾"):  # PostgreSQL refuses NUL; a lone surrogate is not UTF-8
        r = api.post("/api/v1/problems", token=token, json=_body(description=bad))
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["code"] == "request.bad_character"
        assert body["message"].startswith("提交的文字含有无法保存的字符") and "NUL" in body["message_en"]
        assert list(body["errors"]["json"]) == ["description"]
    r = api.get("/api/v1/problems", token=token, params={"category": "luan\x00dui"})
    assert r.status_code == 422 and r.json()["code"] == "request.bad_character"
    assert r.json()["errors"] == {"query": {"category": [BAD_CHARACTER]}}
    r = api.get("/api/v1/problems/" + str(uuid.uuid4()) + "%00", token=token)
    assert r.status_code in (404, 422) and r.headers["Content-Type"] == "application/json"
    assert _count() == 0
    r = api.post("/api/v1/problems", token=token, json=_body(description="河岸垃圾 🚮"))  # ordinary text is fine
    assert r.status_code == 201 and r.json()["description"] == "河岸垃圾 🚮"


def test_json_nested_past_any_decoder_is_refused_not_a_crash(engine_name, api):
    token = api.token(INSP_A)
    for depth in (65, 5000):  # 5,000 exhausts Python's recursion while decoding (deeper: tests/test_abuse_requests.py)
        for body in ('{"a":' * depth + "1" + "}" * depth, "[" * depth + "]" * depth):
            r = api.post("/api/v1/problems", token=token, data=body, headers={"Content-Type": "application/json"})
            assert r.status_code == 422, (depth, r.text[:200])
            assert r.json()["code"] == "request.too_deep" and r.json()["message"] == "提交的数据嵌套层级过深"
    nested = {"a": {"b": {"c": "河"}}}  # ordinary nesting still reaches the schema (which refuses the field)
    r = api.post("/api/v1/problems", token=token, json=_body(extra=nested))
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    assert _count() == 0
