"""Trust a supervisor can defend (issue 18). How a patrol was travelled, on real recordings
(tests/data/tracks/README.md): bicycle rides are bicycles, never motor vehicles, and count where bicycles count;
drives are motor vehicles; a walk with a drive in it has both stretches; a county that counts walking only flags a
ride in the words for what it was."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from shared_models.track.analysis import analyze
from shared_models.track.travel import MODE_LABELS
from shared_models.track.verdict import PRESETS, ValidityRule

from .test_track_analysis import drive_appended, metric
from .tracks import CAR, MIXED, real

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
# real bicycle rides: a Shanghai ride on a bike computer, three Toronto road rides, a phone app's ride in North Carolina
RIDES = ("2019-02-17-062644-ELEMNT-297E-195-0.gpx", "garmin-edge-500-activity.gpx", "sample-activity.gpx",
         "bpg-garmin-road.gpx", "mapmyride_biking.gpx")
DRIVES = (CAR, "MTV.Local1.ublox-F9K.20200206-181434.gpx")
FOOT_ONLY = ValidityRule(allowed_modes=("foot",), version="foot-only")


def _vehicle(result):
    return next((f for f in result.flags if f.code == "vehicle_speed"), None)


@pytest.mark.parametrize("name", RIDES)
def test_a_real_bicycle_ride_is_a_bicycle_and_counts_where_bicycles_count(name):
    result = analyze(real(name), now=NOW)
    assert result.travel_mode == "bicycle"
    assert "motor_vehicle" not in {p["mode"] for p in result.stretches}
    assert _vehicle(result) is None  # the default rule counts walking and cycling
    # where only walking counts it is flagged, as a bicycle ride
    flagged = _vehicle(analyze(real(name), rule=FOOT_ONLY, now=NOW))
    assert flagged.detail.startswith("骑自行车巡河") and "本县认可的巡河方式：步行" in flagged.detail
    assert "机动车" not in flagged.detail and flagged.evidence["travel_mode"] == "bicycle"


@pytest.mark.parametrize("name", DRIVES)
def test_a_real_drive_is_a_motor_vehicle(name):
    result = analyze(real(name), now=NOW)
    assert result.travel_mode == "motor_vehicle"
    flagged = _vehicle(result)
    assert flagged.detail.startswith("乘坐机动车巡河") and "不是步行或骑车" in flagged.detail
    assert flagged.evidence["metres_by_mode"]["motor_vehicle"] > 0.7 * result.distance_m


def test_a_walk_with_a_drive_in_it_has_both_stretches_where_they_are():
    """1.9 km walked by a lake, then a real drive moved to start where the walk ended."""
    walk = real(MIXED).take(np.arange(173))
    car = real(CAR)
    patrol = drive_appended(walk, car)
    result = analyze(patrol, rule=PRESETS["akqi-2022"], now=NOW)
    modes = [p["mode"] for p in result.stretches]
    assert modes[0] == "foot" and "motor_vehicle" in modes
    drive = next(p for p in result.stretches if p["mode"] == "motor_vehicle")
    # the stretch starts where the car does (its first fix, within the minute the stretches are cut to)
    car_start = patrol.t[len(walk)]
    assert abs(dt.datetime.fromisoformat(drive["start"].replace("Z", "+00:00")).timestamp() - car_start) <= 90
    assert drive["start_lonlat"] == pytest.approx([patrol.lon[drive["start_index"]],
                                                   patrol.lat[drive["start_index"]]], abs=1e-6)
    assert drive["median_kmh"] > 25 and drive["distance_m"] > 1500
    _, x, y = metric(walk)
    assert result.stretches[0]["distance_m"] == pytest.approx(float(np.hypot(np.diff(x), np.diff(y)).sum()), rel=0.3)


def test_the_stretches_are_json_and_say_their_times():
    result = analyze(real(RIDES[4]), now=NOW)
    out = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert out["travel_mode"] == "bicycle"
    first, last = out["stretches"][0], out["stretches"][-1]
    assert first["start_index"] == 0 and last["end_index"] == result.kept_fixes - 1
    assert first["start"].endswith("Z") and set(first) >= {"mode", "distance_m", "duration_s", "median_kmh",
                                                           "start_lonlat", "end_lonlat"}


def test_a_county_says_which_ways_count_and_the_patrol_says_how_it_went(engine_name, api):
    """电动车巡河: a county counting e-bikes says so in its validity rule; one counting walking only flags a ride."""
    from sqlalchemy import select

    from server.extensions import db
    from server.grids.models import OrgUnit

    from .patrol_data import INSP_A, card_of, patrol_body, walk_on
    from .tracks import sped_up

    county = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "610112"))
    admin = api.token("13900000001")
    rule = {"org_unit_id": county, "name": "本县有效巡河", "min_duration_min": 5, "min_distance_m": 300,
            "valid_from": "2026-01-01"}
    bad = api.post("/api/v1/rules/validity", token=admin, json={**rule, "allowed_modes": ["motor_vehicle"]})
    assert bad.status_code == 422 and "allowed_modes" in bad.json()["errors"]["json"]
    made = api.post("/api/v1/rules/validity", token=admin, json={**rule, "allowed_modes": ["foot"]})
    assert made.status_code == 201, made.text
    mine = api.token(INSP_A)
    [card] = api.get("/api/v1/me/cards", token=mine).json()["cards"]
    assert card["validity"]["allowed_modes"] == ["foot"]  # the phone judges its preview by the same rule
    card_a = card_of(INSP_A)
    walked = api.post("/api/v1/patrols", token=mine, json=patrol_body(walk_on(card_a), card_a)).json()
    assert walked["travel_mode"] == "foot" and [s["mode"] for s in walked["stretches"]] == ["foot"]
    assert walked["valid"] and not walked["flagged"]
    # the same river at a steady 17 km/h: ridden (steady under the cap, as an e-bike goes); named as what it was
    ridden = sped_up(walk_on(card_a, seed=5), 4)
    rode = api.post("/api/v1/patrols", token=mine, json=patrol_body(ridden, card_a)).json()
    assert rode["travel_mode"] in ("bicycle", "e_bike") and rode["flagged"]
    [flag] = [f for f in rode["flags"] if f["code"] == "vehicle_speed"]
    assert flag["detail"].startswith(MODE_LABELS[rode["travel_mode"]] + "巡河")
    assert "本县认可的巡河方式：步行" in flag["detail"] and "机动车" not in flag["detail"]

