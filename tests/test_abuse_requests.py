"""Hostile request bodies, before anyone signs in: refused by size per route (413) or by what
they hold (422), through HTTP, with nothing written."""
import json
import re
import uuid

import pytest
import requests
from sqlalchemy import func, select

from server.auth.models import DeviceSession, LoginThrottle
from server.cases.models import Problem
from server.extensions import db
from server.request_guard import CHUNKS, LARGE_BODIES, bad_json_paths, json_depth

JSON = {"Content-Type": "application/json"}
BIG_ZEROS = b"[" + b"0," * (4 * 1024 * 1024 - 2) + b"0]"  # just under 8 MB: the red team's body


def _nothing_written():
    db.session.expire_all()
    for model in (DeviceSession, LoginThrottle, Problem):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model


def _too_large(r, limit, code="payload_too_large"):
    assert r.status_code == 413, r.text[:200]
    body = r.json()
    assert body["code"] == code and body["message"] in ("提交的数据过大", "分块过大") and body["limit"] == limit


def test_an_8_mb_body_to_sign_in_is_refused_by_its_length(engine_name, api):
    _too_large(api.post("/api/v1/auth/login", data=BIG_ZEROS, headers=JSON), 64 * 1024)
    _too_large(api.post("/api/v1/auth/login", data=b'{"phone": "' + b"1" * 70_000 + b'"}', headers=JSON), 64 * 1024)
    # a body sent in chunks, without a Content-Length, is cut off once it passes the limit
    chunks = (b"[" if i == 0 else b"0," * 512 for i in range(100))
    _too_large(api.post("/api/v1/auth/login", data=chunks, headers=JSON), 64 * 1024)
    _nothing_written()
    assert api.login("13900000101")["access_token"]  # ordinary sign-in is unchanged


def test_small_routes_take_64_kb_and_uploads_take_8_mb(engine_name, api):
    token = api.token("13900000101")
    report = {"uuid": "cccccccc-0000-4000-8000-000000000001", "category": "garbage", "lon": 108.9, "lat": 34.33,
              "reported_at": "2026-11-20T09:30:00+08:00", "description": "垃圾" * 20_000}
    _too_large(api.post("/api/v1/problems", token=token, json=report), 64 * 1024)
    assert db.session.scalar(select(func.count()).select_from(Problem)) == 0
    # a patrol upload may be large: 1 MB reaches the route (and its schema), not the size check
    r = api.post("/api/v1/patrols", token=token, json={"track": "A" * 1_000_000})
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    _too_large(api.post("/api/v1/patrols", token=token, data=b" " * (8 * 1024 * 1024 + 1), headers=JSON),
               8 * 1024 * 1024)


def test_every_large_body_route_exists(demo_app):
    """The table of routes that take large bodies names real endpoints (a renamed route fails here)."""
    assert LARGE_BODIES | set(CHUNKS) <= set(demo_app.view_functions)


def test_a_large_body_from_a_stranger_is_refused_before_it_is_read(engine_name, api):
    """Every route taking a large body needs a signed-in caller: one without is refused by its
    headers, whatever the body holds (it was parsed first: 8 MB walked for a 401)."""
    hostile = b"[" + b"0," * 1_000_000 + b'{"note": "\\u0000"}]'
    for path in ("/api/v1/patrols", "/api/v1/grids/import", "/api/v1/segments/import"):
        for headers in (JSON, {**JSON, "Authorization": "Bearer not-a-token"}):
            r = api.post(path, data=hostile, headers=headers)
            assert r.status_code == 401 and r.json()["code"].startswith("auth."), (path, r.text[:200])
    r = requests.post(api.base + "/console/grids/import", data={"kind": "grids"},
                      files={"file": ("网格.geojson", hostile)}, allow_redirects=False)
    assert r.status_code == 302 and "/console/login" in r.headers["Location"]
    _nothing_written()


def test_too_deep_and_bad_text_in_a_large_body_are_refused(engine_name, api):
    token = api.token("13900000101")
    for depth in (65, 5000, 200_000):
        for body in ('{"a":' * depth + "1" + "}" * depth, "[" * depth + "]" * depth):
            r = api.post("/api/v1/patrols", token=token, data=body, headers=JSON)
            assert r.status_code == 422, (depth, r.text[:200])
            assert r.json()["code"] == "request.too_deep" and r.json()["message"] == "提交的数据嵌套层级过深"
    hostile = b"[" + b"0," * 1_000_000 + b'{"note": "\\u0000"}]'
    r = api.post("/api/v1/patrols", token=token, data=hostile, headers=JSON)
    assert r.status_code == 422 and r.json()["code"] == "request.bad_character"
    assert r.json()["errors"] == {"json": {"1000000.note": [r.json()["errors"]["json"]["1000000.note"][0]]}}
    ordinary = b"[" + b"0," * 1_000_000 + b"0]"  # clean: not walked, reaches the route's schema
    r = api.post("/api/v1/patrols", token=token, data=ordinary, headers=JSON)
    assert r.status_code == 422 and r.json()["code"] == "validation_error"


@pytest.mark.parametrize("raw,where", [
    (b'{"description": "\\u0000"}', "description"),
    (b'{"description": "a\\uD800b"}', "description"),  # a lone surrogate escape
    (b'{"description": "a\\udc00\\ud800"}', "description"),  # a pair the wrong way round
    (b'{"description": "\\\\\\ud800"}', "description"),  # an escaped backslash, then a lone surrogate
    (b'{"description": "a\xed\xa0\x80b"}', "description"),  # a surrogate's raw bytes (not UTF-8)
    (b'{"de\\u0000sc": "x"}', "de?sc"),  # a key
    (b'{"a": [{"b": ["ok", "\\u0000"]}]}', "a.0.b.1"),
])
def test_unstorable_text_anywhere_in_json_is_named(engine_name, api, raw, where):
    token = api.token("13900000101")
    r = api.post("/api/v1/problems", token=token, data=raw, headers=JSON)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "request.bad_character" and list(r.json()["errors"]["json"]) == [where]
    assert db.session.scalar(select(func.count()).select_from(Problem)) == 0


def test_text_that_only_looks_unstorable_is_stored(engine_name, api):
    token = api.token("13900000101")
    for text in ["河岸 🚮", "a literal \\u0000 and \\ud800", "€ ü 垃圾"]:
        body = {"uuid": str(uuid.uuid4()), "category": "garbage", "lon": 108.9,
                "lat": 34.33, "reported_at": "2026-11-20T09:30:00+08:00", "description": text}
        # the phone's JSON escapes every non-ASCII character: the emoji arrives as a surrogate pair
        r = api.post("/api/v1/problems", token=token, data=json.dumps(body, ensure_ascii=True), headers=JSON)
        assert r.status_code == 201, r.text
        assert r.json()["description"] == text


def test_the_console_answers_a_large_form_with_its_error_page(engine_name, api):
    s = requests.Session()
    page = s.get(api.base + "/console/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = s.post(api.base + "/console/login", data={"phone": "1" * 70_000, "password": "x", "csrf_token": token})
    assert r.status_code == 413 and r.headers["Content-Type"].startswith("text/html")
    assert "提交的数据过大（上限 64 KB）" in r.text
    _nothing_written()
    # the import form takes a large file (here 1 MB of GeoJSON): it reaches the importer
    s.post(api.base + "/console/login", data={"phone": "13900000001", "password": "Demo@2026", "csrf_token": token})
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(api.base + "/console/grids/import").text).group(1)
    big = json.dumps({"type": "FeatureCollection", "features": [], "name": "x" * 1_000_000}).encode()
    r = s.post(api.base + "/console/grids/import", data={"kind": "grids", "csrf_token": token},
               files={"file": ("网格.geojson", big, "application/geo+json")})
    assert r.status_code in (200, 422) and "提交的数据过大" not in r.text


def test_depth_and_paths_cost_no_walk_of_every_scalar():
    """The helpers themselves: depth from the bracket bytes outside strings; paths only where bad."""
    assert json_depth(b"[" + b"0," * 100_000 + b"0]") == 1
    assert json_depth(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}') <= 64
    assert json_depth(b"[" * 70 + b"]" * 70) == 70
    assert json_depth(b'[' + b'{"a": [1, "]]]"], "b\\"]": {}}, ' * 50 + b'{}]') == 3
    assert bad_json_paths({"a": [1, {"b\x00": "ok", "c": "\ud800"}], "d": "fine"}) == {
        "a.1.b?": [bad_json_paths("\x00")["_"][0]], "a.1.c": [bad_json_paths("\x00")["_"][0]]}
