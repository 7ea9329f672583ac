"""Patrols from the phone: exactly once, judged on arrival, readable as GPX and GeoJSON."""
import base64
import concurrent.futures
import datetime as dt
import io
import uuid
import zlib

import gpxpy
import numpy as np
import pytest
from sqlalchemy import func, select

from server.auth.models import User
from server.extensions import db
from server.patrols.models import Patrol
from shared_models.track import Track, codec

from .patrol_data import START
from .patrol_data import card_of as _card
from .patrol_data import patrol_body as _body
from .patrol_data import walk_on as _walk
from .photos import jpeg_with_exif, upload
from .tracks import TRACKS, WALK

INSP_A, INSP_B, SUP_OWN, SUP_OTHER, ADMIN = "13900000101", "13900000102", "13900000012", "13900000011", "13900000001"


def _count():
    return db.session.scalar(select(func.count()).select_from(Patrol))


def test_a_patrol_along_the_segment_counts(engine_name, api):
    card = _card()
    r = api.post("/api/v1/patrols", token=api.token(INSP_A), json=_body(_walk(card), card))
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["valid"] is True and p["flags"] == [] and p["flagged"] is False
    assert p["coverage"] > 0.9
    seg_len = card.segments[0].length_m
    assert p["distance_m"] == pytest.approx(2 * seg_len, rel=0.1)
    assert p["analysis"]["reasons"] == [] and p["rules_version"] == "default"
    assert p["analysis_version"] and p["segment_ids"] == [card.segments[0].id]
    assert len(p["display_track"]["coordinates"]) <= 500
    stored = db.session.scalar(select(Patrol).where(Patrol.uuid == p["uuid"]))
    assert stored.fix_count == p["fix_count"] > 1500  # one row, never one per fix


def test_full_track_as_gpx_geojson_and_kml(engine_name, api):
    card = _card()
    track = _walk(card)
    p = api.post("/api/v1/patrols", token=api.token(INSP_A), json=_body(track, card)).json()
    r = api.get(f"/api/v1/patrols/{p['uuid']}/track.gpx", token=api.token(SUP_OWN))
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/gpx+xml")
    gpx = gpxpy.parse(r.text)
    points = gpx.tracks[0].segments[0].points
    assert len(points) == len(track)
    assert points[0].time == dt.datetime.fromtimestamp(track.t[0], dt.UTC)
    assert abs(points[10].longitude - track.lon[10]) < 1e-6
    feature = api.get(f"/api/v1/patrols/{p['uuid']}/track.geojson", token=api.token(INSP_A)).json()
    assert len(feature["geometry"]["coordinates"]) == len(track) == len(feature["properties"]["times"])
    kml = api.get(f"/api/v1/patrols/{p['uuid']}/track.kml", token=api.token(SUP_OWN))
    assert kml.headers["Content-Type"].startswith("application/vnd.google-earth.kml+xml")
    from xml.etree import ElementTree

    root = ElementTree.fromstring(kml.content)
    ns = {"gx": "http://www.google.com/kml/ext/2.2", "k": "http://www.opengis.net/kml/2.2"}
    coords = root.findall(".//gx:coord", ns)
    whens = root.findall(".//k:when", ns)
    assert len(coords) == len(whens) == len(track)
    lon, lat = (float(v) for v in coords[10].text.split()[:2])
    assert abs(lon - track.lon[10]) < 1e-6 and abs(lat - track.lat[10]) < 1e-6


def test_posted_three_times_and_five_at_once_leaves_one_record(engine_name, api):
    card = _card()
    token = api.token(INSP_A)
    body = _body(_walk(card), card)
    answers = [api.post("/api/v1/patrols", token=token, json=body) for _ in range(3)]
    assert [a.status_code for a in answers] == [201] * 3
    assert [a.headers["Idempotent-Replayed"] for a in answers] == ["false", "true", "true"]
    assert answers[0].json() == answers[2].json()
    body2 = _body(_walk(card, START + dt.timedelta(days=1), seed=1), card)
    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        results = list(pool.map(lambda _: api.post("/api/v1/patrols", token=token, json=body2), range(5)))
    assert [r.status_code for r in results] == [201] * 5
    assert len({r.json()["id"] for r in results}) == 1
    assert _count() == 2


def test_same_uuid_with_another_body_is_a_409(engine_name, api):
    card = _card()
    body = _body(_walk(card), card)
    api.post("/api/v1/patrols", token=api.token(INSP_A), json=body)
    r = api.post("/api/v1/patrols", token=api.token(INSP_A), json={**body, "notes": "改了"})
    assert r.status_code == 409 and r.json()["code"] == "idempotency.conflict"
    assert _count() == 1


def _wire(track: Track) -> str:
    return base64.b64encode(codec.encode(track)).decode()


def _raw_track(**cols) -> Track:
    n = len(cols["lon"])
    t0 = START.timestamp()
    return Track(cols["lon"], cols["lat"], cols.get("t", t0 + np.arange(n)), np.full(n, 5.0))


BAD = {
    "nan": lambda: _wire(_raw_track(lon=[108.9, np.nan, 108.9], lat=[34.3, 34.3, 34.3])),
    "out_of_range": lambda: _wire(_raw_track(lon=[108.9, 190.0, 108.9], lat=[34.3, 34.3, 34.3])),
    "decreasing": lambda: _wire(_raw_track(lon=[108.9] * 3, lat=[34.3] * 3,
                                           t=START.timestamp() + np.array([0.0, 10.0, 5.0]))),
    "future": lambda: _wire(_raw_track(lon=[108.9] * 3, lat=[34.3] * 3,
                                       t=dt.datetime.now(dt.UTC).timestamp() + 86400 + np.arange(3.0))),
    "empty": lambda: _wire(_raw_track(lon=[], lat=[], t=[])),
    "ten_million": lambda: base64.b64encode(codec.MAGIC + bytes([1]) + zlib.compress(
        codec._varints(np.array([10_000_000, 0, 1], np.uint64)) + b"\x00" * 64)).decode(),
    "truncated": lambda: base64.b64encode(codec.encode(_raw_track(lon=[108.9, 108.91], lat=[34.3, 34.31]))[:-6])
    .decode(),
    "not_base64": lambda: "这不是 base64!!",
}
EXPECTED = {"nan": "track.bad_coordinates", "out_of_range": "track.bad_coordinates",
            "decreasing": "track.decreasing_time", "future": "track.future_time", "empty": "track.empty",
            "ten_million": "track.too_many_fixes", "truncated": "track.truncated", "not_base64": "patrol.invalid"}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_tracks_are_refused_and_nothing_is_stored(engine_name, api, case):
    card = _card()
    body = _body(_walk(card), card, track=BAD[case]())
    r = api.post("/api/v1/patrols", token=api.token(INSP_A), json=body)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == EXPECTED[case]
    assert r.json()["message"] and r.json()["message_en"]
    assert _count() == 0


def test_a_body_over_the_limit_is_413(engine_name, api):
    card = _card()
    body = _body(_walk(card), card, notes="x")
    body["track"] = "A" * (9 * 1024 * 1024)
    r = api.post("/api/v1/patrols", token=api.token(INSP_A), json=body)
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
    assert _count() == 0


def test_nobody_uploads_for_another_card_or_reads_another_patrol(engine_name, api):
    card = _card()
    body = _body(_walk(card), card)
    r = api.post("/api/v1/patrols", token=api.token(INSP_B), json=body)
    assert r.status_code == 404
    r = api.post("/api/v1/patrols", token=api.token(INSP_A), json=body)
    uid = r.json()["uuid"]
    assert api.get(f"/api/v1/patrols/{uid}", token=api.token(INSP_B)).status_code == 404
    assert api.get(f"/api/v1/patrols/{uid}/track.gpx", token=api.token(SUP_OTHER)).status_code == 404
    assert api.get(f"/api/v1/patrols/{uid}", token=api.token(SUP_OWN)).status_code == 200
    assert uid not in {p["uuid"] for p in api.get("/api/v1/patrols", token=api.token(SUP_OTHER)).json()}
    assert uid in {p["uuid"] for p in api.get("/api/v1/patrols", token=api.token(ADMIN)).json()}
    assert api.get("/api/v1/patrols", token=api.token(INSP_B)).json() == []


def test_a_patrol_is_judged_against_the_card_in_force_that_day(engine_name, api):
    card = _card()
    new_owner = db.session.scalar(select(User.id).where(User.phone == INSP_B))
    r = api.post(f"/api/v1/cards/{card.id}/revisions", token=api.token(ADMIN),
                 json={"effective_from": "2026-11-15", "inspector_id": new_owner, "reason": "交接"})
    assert r.status_code == 201
    # A's walk on the 20th: the card was B's by then
    r = api.post("/api/v1/patrols", token=api.token(INSP_A), json=_body(_walk(card), card))
    assert r.status_code == 422 and "card_id" in r.json()["errors"]
    # A's walk on the 10th still counts under version 1
    early = START - dt.timedelta(days=10)
    r = api.post("/api/v1/patrols", token=api.token(INSP_A), json=_body(_walk(card, early), card))
    assert r.status_code == 201 and r.json()["card_id"] == card.id


def test_a_replayed_walk_is_flagged(engine_name, api):
    card = _card()
    track = _walk(card)
    first = api.post("/api/v1/patrols", token=api.token(INSP_A), json=_body(track, card)).json()
    replay = Track(track.lon, track.lat, track.t - 3 * 86400, track.accuracy)
    second = api.post("/api/v1/patrols", token=api.token(INSP_A), json=_body(replay, card)).json()
    flag = next(f for f in second["flags"] if f["code"] == "replay")
    assert flag["evidence"]["matches"][0]["patrol_uuid"] == first["uuid"]
    assert flag["evidence"]["matches"][0]["time_shift_s"] == -3 * 86400
    honest = api.post("/api/v1/patrols", token=api.token(INSP_A),
                      json=_body(_walk(card, START - dt.timedelta(days=5), seed=9), card)).json()
    assert "replay" not in {f["code"] for f in honest["flags"]}
    flagged = api.get("/api/v1/patrols?flag=replay", token=api.token(SUP_OWN)).json()
    assert [p["uuid"] for p in flagged] == [second["uuid"]]


def test_gpx_import_goes_through_the_same_checks(engine_name, api):
    card = _card()
    token = api.token(INSP_A)
    form = {"uuid": str(uuid.uuid4()), "card_id": str(card.id)}
    doc = gpxpy.parse((TRACKS / WALK).read_text())
    doc.adjust_time(START - doc.get_time_bounds().start_time)  # the 2010 hike, walked this month
    gpx = doc.to_xml().encode()
    r = api.post("/api/v1/patrols/import-gpx", token=token, data=form,
                 files={"file": ("walk.gpx", io.BytesIO(gpx), "application/gpx+xml")})
    assert r.status_code == 201, r.text
    p = r.json()
    assert p["source"] == "gpx" and p["fix_count"] == 513
    assert p["started_at"].startswith("2026-11-20T01:00:00")
    assert "off_segment" in {f["code"] for f in p["flags"]}  # this walk is in Slovenia, not on the Wei
    assert p["valid"] is False and "low_coverage" in p["analysis"]["reason_codes"]
    again = api.post("/api/v1/patrols/import-gpx", token=token, data=form,
                     files={"file": ("walk.gpx", io.BytesIO(gpx), "application/gpx+xml")})
    assert again.status_code == 201 and again.json()["id"] == p["id"]
    bad = api.post("/api/v1/patrols/import-gpx", token=token, data={**form, "uuid": str(uuid.uuid4())},
                   files={"file": ("walk.gpx", io.BytesIO(b"not xml at all"), "application/gpx+xml")})
    assert bad.status_code == 422 and bad.json()["code"] == "track.bad_gpx"
    assert _count() == 1


def test_photos_and_problems_show_on_their_patrol(engine_name, api):
    card = _card()
    token = api.token(INSP_A)
    body = _body(_walk(card), card)
    early = upload(api, token, jpeg_with_exif(size=(640, 480)), patrol_uuid=body["uuid"])
    api.post("/api/v1/patrols", token=token, json=body)
    api.post("/api/v1/problems", token=token, json={
        "uuid": str(uuid.uuid4()), "category": "garbage", "lon": 108.9, "lat": 34.33,
        "reported_at": "2026-11-20T09:20:00+08:00", "patrol_uuid": body["uuid"]})
    detail = api.get(f"/api/v1/patrols/{body['uuid']}", token=api.token(SUP_OWN)).json()
    assert [ph["uuid"] for ph in detail["photos"]] == [early["uuid"]]
    assert len(detail["problem_uuids"]) == 1


def test_list_filters_by_date_validity_and_inspector(engine_name, api):
    card = _card()
    token = api.token(INSP_A)
    api.post("/api/v1/patrols", token=token, json=_body(_walk(card), card))
    short = _walk(card, START + dt.timedelta(days=2), seed=4).take(np.arange(120))
    api.post("/api/v1/patrols", token=token, json=_body(short, card))
    sup = api.token(SUP_OWN)
    assert len(api.get("/api/v1/patrols?date_from=2026-11-20&date_to=2026-11-20", token=sup).json()) == 1
    assert len(api.get("/api/v1/patrols?date_from=2026-11-21", token=sup).json()) == 1
    invalid = api.get("/api/v1/patrols?valid=false", token=sup).json()
    assert len(invalid) == 1 and invalid[0]["duration_s"] < 600
    uid = db.session.scalar(select(User.id).where(User.phone == INSP_A))
    assert len(api.get(f"/api/v1/patrols?inspector_id={uid}", token=sup).json()) == 2


def test_change_feed_gives_cards_and_my_verdicts_since_the_cursor(engine_name, api):
    card = _card()
    token = api.token(INSP_A)
    first = api.post("/api/v1/patrols", token=token, json=_body(_walk(card), card)).json()
    feed = api.get("/api/v1/me/changes", token=token).json()
    assert [c["id"] for c in feed["cards"]] == [card.id] and feed["cards"][0]["grid_path_names"][-1] == "阁老门村"
    assert [p["uuid"] for p in feed["patrols"]] == [first["uuid"]] and feed["patrols"][0]["valid"] is True
    cursor = feed["cursor"]
    # a minute later nothing is new ...
    later = (dt.datetime.fromisoformat(cursor) + dt.timedelta(seconds=61)).isoformat()
    assert api.get("/api/v1/me/changes", token=token, params={"since": later}).json()["patrols"] == []
    # ... until the server changes its mind about a patrol (a review, say)
    patrol = db.session.scalar(select(Patrol).where(Patrol.uuid == first["uuid"]))
    patrol.valid = False
    db.session.commit()
    assert patrol.updated_at > dt.datetime.fromisoformat(later) - dt.timedelta(seconds=61)
    changed = api.get("/api/v1/me/changes", token=token, params={"since": cursor}).json()["patrols"]
    assert [(p["uuid"], p["valid"]) for p in changed] == [(first["uuid"], False)]
    # only one's own
    assert api.get("/api/v1/me/changes", token=api.token(INSP_B)).json()["patrols"] == []


def test_odd_but_harmless_input_is_answered_not_crashed_on(engine_name, api):
    card = _card()
    token = api.token(INSP_A)
    # a checklist number past 64 bits: stored, and the same body again is a replay, not an error
    body = _body(_walk(card), card, checklist={"垃圾": "无", "桶数": 2**70})
    answers = [api.post("/api/v1/patrols", token=token, json=body) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201], answers[0].text
    assert [a.headers["Idempotent-Replayed"] for a in answers] == ["false", "true"]
    assert _count() == 1
    # filters naming a grid or an inspector that does not exist find nothing
    sup = api.token(SUP_OWN)
    for query in ("grid_id=987654", "inspector_id=987654", "flag=replayed"):
        r = api.get(f"/api/v1/patrols?{query}", token=sup)
        assert r.status_code == 200 and r.json() == [], query
    r = api.get("/api/v1/problems?grid_id=987654", token=sup)
    assert r.status_code == 200 and r.json() == []
    # ids past the database's integers: a 422 naming the field
    r = api.post("/api/v1/patrols", token=token, json=_body(_walk(card), card, card_id=2**63))
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    assert list(r.json()["errors"]["json"]) == ["card_id"]
    r = api.get(f"/api/v1/patrols?grid_id={2**40}&offset={10**12}", token=sup)
    assert r.status_code == 422 and set(r.json()["errors"]["query"]) == {"grid_id", "offset"}
    assert _count() == 1


def test_days_at_the_ends_of_the_calendar_are_a_422_not_a_crash(engine_name, api):
    card = _card()
    token = api.token(INSP_A)
    sup = api.token(SUP_OWN)
    for day in ("0001-01-01", "9999-12-31"):  # shifting either by a day or a time zone leaves Python's calendar
        r = api.get(f"/api/v1/patrols?date_from={day}&date_to={day}", token=sup)
        assert r.status_code == 422 and set(r.json()["errors"]["query"]) == {"date_from", "date_to"}
        assert "1900-01-01" in r.json()["errors"]["query"]["date_from"][0]
        r = api.get(f"/api/v1/cases/ledger?date_from={day}", token=api.token(ADMIN))
        assert r.status_code == 422 and list(r.json()["errors"]["query"]) == ["date_from"]
    for at in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"):
        r = api.post("/api/v1/patrols", token=token, json=_body(_walk(card), card, started_at=at))
        assert r.status_code == 422 and list(r.json()["errors"]["json"]) == ["started_at"]
        r = api.get("/api/v1/me/changes", token=token, params={"since": at})
        assert r.status_code == 422 and list(r.json()["errors"]["query"]) == ["since"]
    assert _count() == 0
    assert api.get("/api/v1/patrols?date_from=1900-01-01&date_to=2999-12-31", token=sup).status_code == 200
