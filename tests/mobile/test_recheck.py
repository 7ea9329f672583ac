"""Re-check tasks (复核) on the phone: they arrive with the sync, with the before-photo kept for
offline; the re-check is done on site without signal and reaches the server when a network appears;
a re-check overtaken by someone else is kept and shown as such, never dropped."""
import datetime as dt
import json
import re
import shutil
import uuid

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from mobile.controller import Controller
from server.cases.models import Case
from server.extensions import db
from server.patrols import export

from ..photos import jpeg_with_exif, upload
from ..test_cases import ASSIGNEE, REPORTER, SUP_OWN, _spot, _user, on_site, photo, step
from .test_ui import SHOTS, _app


def _rectified_case_with_photos(api):
    """Reported by the phone's user with a photo, fixed by the assignee with an after-photo."""
    before = upload(api, api.token(REPORTER), jpeg_with_exif(size=(800, 600)))["uuid"]
    lon, lat = _spot()
    r = api.post("/api/v1/problems", token=api.token(REPORTER), json={
        "uuid": str(uuid.uuid4()), "category": "garbage",
        "lon": lon, "lat": lat, "description": "岸边漂浮垃圾", "photo_uuids": [before],
        "reported_at": dt.datetime.now(dt.UTC).isoformat()})
    assert r.status_code == 201, r.text
    no = r.json()["case_no"]
    step(api, SUP_OWN, no, "accept")
    step(api, SUP_OWN, no, "assign", assignee_id=_user(ASSIGNEE).id)
    after = photo(api, ASSIGNEE)
    step(api, ASSIGNEE, no, "rectify", photo_uuids=[after], note="已打捞清运")
    return no, before, after


def _phone(tmp_path, api) -> Controller:
    c = Controller(tmp_path / "phone", api.base, device_id="recheck-phone")
    c.login(REPORTER, "Demo@2026")
    return c


def test_a_recheck_done_offline_reaches_the_server(engine_name, api, tmp_path):
    no, before, after = _rectified_case_with_photos(api)
    c = _phone(tmp_path, api)
    [task] = c.tasks()
    assert (task["case_no"], task["before_photo_uuids"], task["after_photo_uuids"]) == (no, [before], [after])
    cached = c.task_photo(before)
    with Image.open(cached) as thumb:
        assert max(thumb.size) <= 400  # a thumbnail, kept on the phone
    # on site, no signal: the step waits in the outbox with its photo
    c.client.server = "http://127.0.0.1:9"  # nothing listens there
    c.note_fix({"t": dt.datetime.now(dt.UTC).timestamp(), **on_site()})
    shot = tmp_path / "now.jpg"
    shot.write_bytes(jpeg_with_exif(size=(1200, 900)))
    c.recheck(task, True, "现场已清理", [c.prepare_photo(shot)])
    assert c.tasks() == []  # done on this phone
    assert c.sync_now()["sent"] == 0
    assert {i["kind"] for i in c.outbox() if i["state"] != "synced"} == {"photo", "case_step"}
    # back in signal
    c.client.server = api.base
    assert c.sync_now()["failed"] == 0
    db.session.expire_all()
    case = db.session.scalar(select(Case).where(Case.case_no == no))
    assert case.status == "closed"
    last = case.events[-1]
    assert last.action == "recheck_pass" and last.evidence["distance_m"] < 200
    assert len(last.evidence["photo_uuids"]) == 1
    [mine] = c.store.case_steps(c.account["user_id"])
    assert json.loads(mine["result"])["status_label"] == "已销号"


def test_a_recheck_overtaken_on_the_server_is_kept_and_shown(engine_name, api, tmp_path):
    no, _, _ = _rectified_case_with_photos(api)
    c = _phone(tmp_path, api)
    [task] = c.tasks()
    step(api, SUP_OWN, no, "recheck_fail", note="仍有垃圾", **on_site())  # the supervisor was there first
    c.note_fix({"t": dt.datetime.now(dt.UTC).timestamp(), **on_site()})
    c.recheck(task, True, "", [])
    assert c.sync_now()["failed"] == 0
    [mine] = c.store.case_steps(c.account["user_id"])
    result = json.loads(mine["result"])
    assert (result["applied"], result["outcome"], result["status"]) == (False, "stale", "rectifying")
    db.session.expire_all()
    assert db.session.scalar(select(Case.needs_review).where(Case.case_no == no))


def test_a_recheck_away_from_the_problem_is_refused_on_the_phone(engine_name, api, tmp_path):
    no, _, _ = _rectified_case_with_photos(api)
    c = _phone(tmp_path, api)
    [task] = c.tasks()
    assert task["recheck_radius_m"] == 200  # the server's rule, with the task
    site = on_site()
    far = {"lon": site["lon"] + 0.0105, "lat": site["lat"]}  # about 950 m east
    c.note_fix({"t": dt.datetime.now(dt.UTC).timestamp(), **far})
    with pytest.raises(ValueError, match=r"您离问题位置 9\d\d 米，须到现场（200 米以内）才能复核"):
        c.recheck(task, True, "已清理", [])
    assert c.outbox() == [] and c.tasks() == [task]  # nothing queued; the task is still there
    # an old fix is never used: a minute later the phone does not know where it is
    c.note_fix({"t": dt.datetime.now(dt.UTC).timestamp(), **site})
    c.last_fix_at -= 61
    with pytest.raises(ValueError, match="还没有定位"):
        c.recheck(task, True, "已清理", [])


def test_a_step_the_server_refuses_comes_back_with_its_reason(engine_name, api, tmp_path):
    """Should the phone's copy of the rule be wider than the server's (an old task), the server's refusal brings
    the task back to the list with the server's reason in Chinese, instead of it vanishing."""
    no, _, _ = _rectified_case_with_photos(api)
    c = _phone(tmp_path, api)
    [task] = c.tasks()
    site = on_site()
    c.note_fix({"t": dt.datetime.now(dt.UTC).timestamp(), "lon": site["lon"] + 0.0105, "lat": site["lat"]})
    c.recheck({**task, "recheck_radius_m": 5000}, True, "已清理", [])
    assert c.tasks() == []  # done, as far as the phone knows
    assert c.sync_now()["failed"] == 1
    [back] = c.tasks()
    assert back["case_no"] == no and "须到现场（200 米内）复核" in back["refused"]
    assert not re.search(r"[A-Za-z]{3,}", back["refused"])  # no English half, no code
    db.session.expire_all()
    assert db.session.scalar(select(Case.status).where(Case.case_no == no)) == "rectified"


def test_the_recheck_screen_shows_the_before_photo(engine_name, api, tmp_path, display):
    no, _, _ = _rectified_case_with_photos(api)
    lon, lat = on_site()["lon"], on_site()["lat"]
    n = 120  # the phone standing at the problem for two minutes
    gpx = tmp_path / "site.gpx"
    start = dt.datetime.now(dt.UTC).timestamp() - n
    gpx.write_text(export.to_gpx("site", np.full(n, lon) + np.random.normal(0, 2e-5, n),
                                 np.full(n, lat) + np.random.normal(0, 2e-5, n), start + np.arange(n)))
    shot = tmp_path / "now.jpg"
    shot.write_bytes(jpeg_with_exif(size=(1600, 1200)))
    shots = SHOTS.parent / "recheck" / engine_name  # (not under SHOTS / engine: the day's test clears that)
    shutil.rmtree(shots, ignore_errors=True)
    script = [
        {"do": "wait_screen", "name": "login"}, {"do": "text", "id": "phone", "value": REPORTER},
        {"do": "text", "id": "password", "value": "Demo@2026"}, {"do": "tap", "id": "login_btn"},
        {"do": "wait_screen", "name": "home", "timeout": 30}, {"do": "tap", "text": "我的任务（1）"},
        {"do": "wait_screen", "name": "tasks"}, {"do": "wait", "seconds": 0.5}, {"do": "shot", "name": "tasks"},
        {"do": "tap", "text": "去现场复核"}, {"do": "wait_screen", "name": "recheck"},
        {"do": "call", "method": "add_photo", "args": [str(shot)]}, {"do": "wait", "seconds": 2.0},
        {"do": "shot", "name": "recheck"}, {"do": "tap", "id": "pass_btn"}, {"do": "wait_screen", "name": "tasks"},
        {"do": "wait_until", "what": "outbox_synced", "timeout": 60}, {"do": "quit"}]
    path = tmp_path / "script.json"
    path.write_text(json.dumps(script, ensure_ascii=False), encoding="utf-8")
    proc = _app(display, api, tmp_path / "phone", path, shots, speed=60, gpx=gpx)
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, out[-3000:]
    db.session.expire_all()
    assert db.session.scalar(select(Case.status).where(Case.case_no == no)) == "closed"
    [shot_png] = list(shots.glob("recheck*.png"))
    with Image.open(shot_png) as png:
        img = np.asarray(png.convert("RGB"))
    # both photo panes hold a picture (the test JPEGs are colourful, the screen background is not)
    top = img[img.shape[0] // 4: img.shape[0] * 3 // 5]
    left, right = top[:, : img.shape[1] // 2], top[:, img.shape[1] // 2:]
    for half in (left, right):
        assert len(np.unique(half.reshape(-1, 3), axis=0)) > 200


def test_the_countys_own_categories_reach_the_phone(engine_name, api, tmp_path):
    from server.grids.models import OrgUnit

    county = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "610112"))
    r = api.post("/api/v1/problem-categories", token=api.token("13900000001"), json={
        "org_unit_id": county, "code": "illegal_fishing", "name": "非法捕捞"})
    assert r.status_code == 201
    c = _phone(tmp_path, api)
    assert c.categories()["非法捕捞"] == "illegal_fishing" and c.categories()["乱堆"] == "luan_dui"


def test_a_rectification_on_the_phone_with_its_after_photo(engine_name, api, tmp_path):
    """The case's responsible person fixes it in the field: the task arrives as 整改, needs an after-photo and
    what was done, and reaches the server as 整改完成 with the photo."""
    before = upload(api, api.token(REPORTER), jpeg_with_exif(size=(800, 600)))["uuid"]
    lon, lat = _spot()
    r = api.post("/api/v1/problems", token=api.token(REPORTER), json={
        "uuid": str(uuid.uuid4()), "category": "garbage", "lon": lon, "lat": lat, "description": "岸边漂浮垃圾",
        "photo_uuids": [before], "reported_at": dt.datetime.now(dt.UTC).isoformat()})
    no = r.json()["case_no"]
    step(api, SUP_OWN, no, "accept")
    step(api, SUP_OWN, no, "assign", assignee_id=_user(ASSIGNEE).id)
    c = Controller(tmp_path / "phone", api.base, device_id="assignee-phone")
    c.login(ASSIGNEE, "Demo@2026")
    [task] = c.tasks()
    assert (task["kind"], task["case_no"], task["before_photo_uuids"]) == ("rectify", no, [before])
    with pytest.raises(ValueError, match="请先拍整改后的现场照片"):
        c.rectify(task, "已打捞", [])
    shot = tmp_path / "after.jpg"
    shot.write_bytes(jpeg_with_exif(size=(1200, 900)))
    after = c.prepare_photo(shot)
    c.rectify(task, "已打捞清运", [after])
    assert c.tasks() == []
    assert c.sync_now()["failed"] == 0, [(i["kind"], i["state"], i["last_error"]) for i in c.outbox()]
    db.session.expire_all()
    case = db.session.scalar(select(Case).where(Case.case_no == no))
    assert case.status == "rectified"
    last = case.events[-1]
    assert last.action == "rectify" and last.evidence["photo_uuids"] == [after["uuid"]] and last.note == "已打捞清运"
