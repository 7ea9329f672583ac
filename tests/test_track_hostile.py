"""Tracks made to cost the server: a still phone's 200,000-fix jitter blob, 10,000 fixes on a 0.7 m line,
Douglas-Peucker's worst shapes, a track of nothing but gaps, a first fix in year 0. Each is judged as
before, at a cost linear in its fixes (the figures are in bench/tracks.py), or refused with a code."""
from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re

import numpy as np
import pytest
import requests
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from server.extensions import db
from server.patrols.models import Patrol
from shared_models.track import Track, codec, replay, simplify
from shared_models.track.analysis import analyze
from shared_models.track.measure import projection_for

from .hostile_tracks import at, growing_zigzag, jitter_blob, on_line
from .patrol_data import START, card_of, patrol_body, walk_on
from .tracks import BROKEN_CLOCK, CAR, MIXED, WALK, noisy_repeat, real, stationary_at_home, time_shifted, walk_along

INSP, SUP = "13900000101", "13900000012"
CN = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Patrol))


# --- Douglas-Peucker: GEOS's answer, at a bounded cost ----------------------------------------

def _geos(x, y, tolerance):
    line = shapely.simplify(shapely.linestrings(np.column_stack([x, y])), tolerance, preserve_topology=False)
    return shapely.get_coordinates(line)


@pytest.mark.parametrize("name", [WALK, MIXED, CAR, BROKEN_CLOCK, "still", "along"])
def test_numpy_douglas_peucker_keeps_what_geos_keeps(name):
    if name == "still":
        track = stationary_at_home(NOW.timestamp())
    elif name == "along":
        track = walk_along(shapely.LineString([(108.9, 34.33), (108.92, 34.335), (108.93, 34.32)]), 0.0)
    else:
        track = real(name)
    x, y = (np.asarray(v) for v in projection_for(track.lon, track.lat).transform(track.lon, track.lat))
    for tolerance in (0.5, 5.0, 30.0):
        keep = simplify.simplify_mask(x, y, np.zeros(len(x), dtype=int), tolerance)
        assert np.array_equal(np.column_stack([x[keep], y[keep]]), _geos(x, y, tolerance)), tolerance


def test_douglas_peuckers_worst_shape_costs_a_bounded_number_of_passes(monkeypatch):
    """Recursion peels one point per level off a growing zigzag (GEOS: 4.6 s for 40,000 points). Here the
    levels stop at the cap plus log2(n), and every dropped point is still within the tolerance."""
    passes = []
    real_distance = simplify._segment_distance
    monkeypatch.setattr(simplify, "_segment_distance", lambda *a: passes.append(len(a[0])) or real_distance(*a))
    n = 20_000
    x, y = growing_zigzag(n)
    keep = np.flatnonzero(simplify.simplify_mask(x, y, np.zeros(n, dtype=int), 5.0))
    assert len(passes) <= simplify.DEPTH_CAP + np.log2(n) + 2
    assert max(passes) < n
    span = np.minimum(np.searchsorted(keep, np.arange(n), side="right") - 1, len(keep) - 2)
    a, b = keep[span], keep[span + 1]
    assert simplify._segment_distance(x, y, x[a], y[a], x[b], y[b]).max() <= 5.0


def test_at_most_500_vertices_at_the_smallest_tolerance_that_fits():
    x, y = growing_zigzag(3000)
    keep = simplify.simplify_to(x, y, 500)
    assert 450 <= len(keep) <= 500 and keep[0] == 0 and keep[-1] == 2999
    imp = simplify.importance(x, y, [0], [2999])
    assert imp[keep].min() > np.sort(imp)[::-1][500]  # the 500 most important, nothing less
    assert np.array_equal(simplify.simplify_to(x[:400], y[:400], 500), np.arange(400))


# --- replays: no pair of fixes is listed ---------------------------------------------------------

def test_the_replay_check_is_the_same_on_honest_walks_and_replays_and_bounded_on_dense_ones():
    walk = real(WALK)
    assert replay.replay_similarity(walk, time_shifted(walk, 86400))["score"] == 1.0
    assert replay.replay_similarity(walk, noisy_repeat(walk))["score"] == pytest.approx(0.0351, abs=1e-4)
    line_a, line_b = on_line(108.9, 34.33, 0.0, seed=1), on_line(108.9, 34.33, 0.0, seed=2)
    assert replay.replay_similarity(line_a, line_b)["score"] == 1.0  # 10**8 pairs within a metre, none listed
    grid = replay.Grid(line_b.lon * 92_000.0, line_b.lat * 111_320.0, 1.0)
    assert len(grid) <= 64 * 2  # the 10,000 targets as at most 64 per square metre cell
    blob = jitter_blob(108.9, 34.33, 0.0)
    grid = replay.Grid(blob.lon * 92_000.0, blob.lat * 111_320.0, 1.0)
    assert np.bincount(np.unique(grid.keys, return_inverse=True)[1]).max() <= 64


def _sketch_verdict(upload: Track, candidate: Track) -> dict:
    return replay.UploadIndex(upload).compare(replay.sketch(codec.decode(codec.encode(candidate))))


@pytest.mark.parametrize("case", ["replay", "noisy_replay", "first_80", "first_60", "honest", "part_of_longer",
                                  "blob_on_blob", "line_in_blob"])
def test_a_sketch_gives_the_exact_checks_verdict(case):
    """A stored patrol is compared through a few kilobytes: its even sample and its fixes in a sample of
    place. The shares come out within a few points of the exact ones, and the verdicts the same."""
    walk = walk_along(shapely.LineString([(108.9, 34.33), (108.92, 34.335), (108.93, 34.32)]), 0.0, seed=4)
    walk = codec.decode(codec.encode(walk))
    rng = np.random.default_rng(8)
    upload, candidate = {
        "replay": lambda: (time_shifted(walk, 3 * 86400), walk),
        "noisy_replay": lambda: (Track(walk.lon + rng.normal(0, 2e-6, len(walk)), walk.lat, walk.t + 9e4), walk),
        "first_80": lambda: (walk.take(np.arange(int(0.8 * len(walk)))), walk),
        "first_60": lambda: (walk.take(np.arange(int(0.6 * len(walk)))), walk),
        "honest": lambda: (noisy_repeat(walk, 3.0), walk),
        "part_of_longer": lambda: (walk, walk.take(np.arange(len(walk) // 3))),
        "blob_on_blob": lambda: (jitter_blob(108.9, 34.33, 0.0, seed=1), jitter_blob(108.9, 34.33, 0.0, seed=2)),
        "line_in_blob": lambda: (on_line(108.9, 34.33, 0.0, n=5000), jitter_blob(108.9, 34.33, 0.0)),
    }[case]()
    exact = replay.replay_similarity(upload, candidate)
    sketched = _sketch_verdict(upload, candidate)
    assert abs(sketched["share_b"] - exact["share_b"]) <= 0.05
    if exact["share_b"] >= 0.5:  # (where the candidate is mostly elsewhere, its sample of place may miss the upload)
        assert abs(sketched["share_a"] - exact["share_a"]) <= 0.05
    assert (sketched["score"] >= 0.8) == (exact["score"] >= 0.8)
    assert sketched["sampled"]["upload"] <= replay.UPLOAD_QUERIES
    assert sketched["sampled"]["candidate"] <= replay.SKETCH_EVEN
    assert len(replay.sketch(candidate)) <= 16 * 1024


# --- gaps: whole arrays, a bounded list ----------------------------------------------------------

def test_a_track_of_nothing_but_gaps_is_counted_not_listed():
    n = 60_000
    steps = np.where(np.arange(n) % 3 == 0, 130.0, 1.0)  # every third step a silence of two minutes
    t = NOW.timestamp() - 86400 * 30 + np.cumsum(steps)
    track = at(108.9, 34.33, np.arange(n, dtype=float), np.zeros(n), t)
    events = [{"at": float(at), "event": "gps_lost"} for at in t[3::300][:100]]
    result = analyze(track, lifecycle_events=events, now=NOW)
    gaps = (n - 1) // 3  # the steps after fixes 2, 5, 8, ...
    assert result.gap_count == gaps and len(result.gaps) == 100
    time_gap = next(f for f in result.flags if f.code == "time_gap")
    # each event explains the gaps within 5 s of it: the one it ends and the one starting 2 s later
    assert time_gap.evidence["count"] == gaps - 200 and len(time_gap.evidence["gaps"]) == 10
    assert [g["explained_by"] for g in result.gaps[:3]] == ["no_signal", "no_signal", None]


# --- through HTTP, on both engines ---------------------------------------------------------------

def _console(api, phone: str) -> requests.Session:
    s = requests.Session()
    page = s.get(api.base + "/console/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    s.post(api.base + "/console/login", data={"phone": phone, "password": "Demo@2026", "csrf_token": token})
    return s


def _on_segment(card) -> tuple[float, float]:
    return to_shape(card.segments[0].geom).coords[0]


def _map_data(page: str) -> dict:
    return json.loads(re.search(r"const data = (\{.*?\});\n", page).group(1))


def test_a_still_phones_jitter_blob_is_stored_with_its_display_line(engine_name, api, time_machine, monkeypatch):
    """200,000 fixes lying still (1.6 MB before: 18 minutes for its 201, again on every read). The line
    shown is made once at intake and stored; no read decodes the fixes or simplifies anything."""
    time_machine.move_to(dt.datetime(2026, 11, 21, 12, tzinfo=CN))
    card = card_of()
    lon, lat = _on_segment(card)
    blob = jitter_blob(lon, lat, START.timestamp())
    token = api.token(INSP)
    r = api.post("/api/v1/patrols", token=token, json=patrol_body(blob, card))
    assert r.status_code == 201, r.text
    shown = r.json()["display_track"]
    assert shown["type"] == "LineString" and 2 <= len(shown["coordinates"]) <= 500
    assert "stationary" in {f["code"] for f in r.json()["flags"]}
    stored = db.session.scalar(select(Patrol).where(Patrol.uuid == r.json()["uuid"]))
    assert stored.display["line"] == shown and len(stored.display["kmh"]) == len(shown["coordinates"]) - 1
    assert stored.fix_count == 200_000 and stored.replay_sketch

    def refuse(*args, **kwargs):
        raise AssertionError("a read must not decode or simplify the track")

    monkeypatch.setattr(codec, "decode", refuse)
    monkeypatch.setattr(simplify, "importance", refuse)
    again = api.get(f"/api/v1/patrols/{r.json()['uuid']}", token=api.token(SUP))
    assert again.status_code == 200 and again.json()["display_track"] == shown
    page = _console(api, SUP).get(f"{api.base}/console/patrols/{r.json()['uuid']}")
    assert page.status_code == 200
    pieces = _map_data(page.text)["track"]["features"]
    assert len(pieces) == len(shown["coordinates"]) - 1 and all("kmh" in p["properties"] for p in pieces)
    monkeypatch.undo()

    # 5,000 fixes on a 0.7 m line in the middle of it: compared with its sketch, not its 200,000 fixes
    line = on_line(lon, lat, START.timestamp() + 3600, n=5000)
    r = api.post("/api/v1/patrols", token=token, json=patrol_body(line, card))
    assert r.status_code == 201, r.text
    # all of it lies on the blob, little of the blob on it
    assert "replay" not in {f["code"] for f in r.json()["flags"]}


def test_two_uploads_of_10000_fixes_on_a_07m_line_are_a_replay(engine_name, api, time_machine):
    """Every fix of each within a metre of every fix of the other: 10**8 pairs (42 s and 5.1 GB before).
    Judged a replay, from bounded samples named in the evidence; an honest walk beside them is not."""
    time_machine.move_to(dt.datetime(2026, 11, 21, 12, tzinfo=CN))
    card = card_of()
    token = api.token(INSP)
    lon, lat = _on_segment(card)
    first = api.post("/api/v1/patrols", token=token,
                     json=patrol_body(on_line(lon, lat, START.timestamp() - 86400, seed=1), card))
    assert first.status_code == 201, first.text
    assert "replay" not in {f["code"] for f in first.json()["flags"]}
    second = api.post("/api/v1/patrols", token=token,
                      json=patrol_body(on_line(lon, lat, START.timestamp() - 3 * 3600, seed=2), card))
    assert second.status_code == 201, second.text
    flag = next(f for f in second.json()["flags"] if f["code"] == "replay")
    match = flag["evidence"]["matches"][0]
    assert match["patrol_uuid"] == first.json()["uuid"] and match["score"] == 1.0
    assert match["sampled"]["upload"] <= replay.UPLOAD_QUERIES and match["sampled"]["candidate"] <= replay.SKETCH_EVEN
    honest = api.post("/api/v1/patrols", token=token, json=patrol_body(walk_on(card, seed=5), card))
    assert "replay" not in {f["code"] for f in honest.json()["flags"]}


def _gpx(times: list[str], extra: str = "") -> bytes:
    points = "".join(f'<trkpt lat="34.33" lon="{108.9 + i * 1e-4:.4f}">{extra}<time>{t}</time></trkpt>'
                     for i, t in enumerate(times))
    return (f'<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
            f"<trk><trkseg>{points}</trkseg></trk></gpx>").encode()


def test_a_first_fix_in_year_0_is_a_422_and_nothing_is_written(engine_name, api, time_machine):
    """Year 0 (and anything before 1900, the server's calendar) was a 500 at the first datetime."""
    time_machine.move_to(dt.datetime(2026, 11, 21, 12, tzinfo=CN))
    card = card_of()
    token = api.token(INSP)
    walk = walk_on(card)
    year_0 = dt.datetime(1, 1, 1, tzinfo=dt.UTC).timestamp() - 366 * 86400
    for first in (year_0, dt.datetime(1899, 12, 31, 23, 59, tzinfo=dt.UTC).timestamp()):
        t = walk.t.copy()
        t[0] = first
        wire = base64.b64encode(codec.encode(Track(walk.lon, walk.lat, t, walk.accuracy))).decode()
        body = patrol_body(walk, card, track=wire)  # (the body's own times are this patrol's)
        r = api.post("/api/v1/patrols", token=token, json=body)
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "track.time_out_of_range" and r.json()["index"] == 0
        assert "1900-01-01" in r.json()["message"] and "请检查手机时间" in r.json()["message"]
    # the same through a GPX file, and a reading no phone makes (an elevation of 1e300 m)
    form = {"uuid": "0f0e0d0c-0000-4000-8000-000000000001", "card_id": str(card.id)}
    for gpx, code in ((_gpx(["0001-01-01T00:00:00Z", "2026-11-20T01:00:00Z"]), "track.time_out_of_range"),
                      (_gpx(["2026-11-20T01:00:00Z", "2026-11-20T01:00:01Z"], "<ele>1e300</ele>"), "track.bad_values")):
        r = api.post("/api/v1/patrols/import-gpx", token=token, data=form,
                     files={"file": ("walk.gpx", io.BytesIO(gpx), "application/gpx+xml")})
        assert r.status_code == 422 and r.json()["code"] == code, r.text
        assert r.json()["message"] and r.json()["message_en"]
    # lists the phone never sends that long are refused by their length, before any item is read
    for field, value in (("lifecycle_events", [{}] * 10_001), ("segment_ids", [1] * 501),
                         ("checklist", {str(i): 1 for i in range(201)})):
        r = api.post("/api/v1/patrols", token=token, json=patrol_body(walk, card, **{field: value}))
        assert r.status_code == 422 and list(r.json()["errors"]["json"]) == [field], r.text
    assert _count() == 0


def test_a_track_of_gaps_with_10000_events_is_judged_and_its_gaps_counted(engine_name, api, time_machine):
    time_machine.move_to(dt.datetime(2026, 11, 21, 12, tzinfo=CN))
    card = card_of()
    n = 30_000
    t = START.timestamp() - 86400 * 20 + np.cumsum(np.where(np.arange(n) % 3 == 0, 130.0, 1.0))
    lon, lat = _on_segment(card)
    track = at(lon, lat, np.arange(n, dtype=float), np.zeros(n), t)
    events = [{"at": dt.datetime.fromtimestamp(at, dt.UTC).isoformat(), "event": "gps_lost"}
              for at in np.linspace(t[0], t[n // 2], 10_000)]  # signal lost, said the app, in the first half
    r = api.post("/api/v1/patrols", token=api.token(INSP), json=patrol_body(track, card, lifecycle_events=events))
    assert r.status_code == 201, r.text
    analysis = r.json()["analysis"]
    assert analysis["gap_count"] == (n - 1) // 3 and len(analysis["gaps"]) == 100
    unexplained = next(f for f in r.json()["flags"] if f["code"] == "time_gap")["evidence"]["count"]
    assert (n - 1) // 6 - 10 <= unexplained <= (n - 1) // 6 + 10
