"""The county's rules on the phone: its validity rule judges the live preview, its gap rule shows
the hours until a patrol counts again (Akqi: >= 30 min and >= 2 km; 96 h between patrols)."""
import datetime as dt

from shapely.geometry import shape
from sqlalchemy import delete, select

from mobile.app import _gap_hint
from mobile.controller import rule_of
from mobile.recorder import PatrolRecorder
from mobile.sync import SyncEngine
from server.extensions import db
from server.grids.models import OrgUnit
from server.rules.models import FrequencyRule
from shared_models.clock import LOCAL_TZ

from ..patrol_data import card_of, walk_on
from .test_sync import _phone

ADMIN = "13900000001"


def test_akqi_rules_reach_the_phone(engine_name, api, tmp_path):
    county = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "610112"))
    db.session.execute(delete(FrequencyRule))
    db.session.commit()
    for path, body in (("frequency", {"name": "阿合奇县每周巡河", "window": "week", "min_count": 1, "min_gap_hours": 96,
                                      "active_months": list(range(3, 13))}),
                       ("validity", {"name": "阿合奇县有效巡河", "min_duration_min": 30, "min_distance_m": 2000})):
        r = api.post(f"/api/v1/rules/{path}", token=api.token(ADMIN),
                     json={"org_unit_id": county, "valid_from": "2026-01-01", **body})
        assert r.status_code == 201, r.text
    store, client, user = _phone(tmp_path, api.base, api)
    sync = SyncEngine(store, client, user["id"])
    sync.pull()
    [card] = store.cards(user["id"])["cards"]
    rule = rule_of(card)
    assert (rule.min_duration_s, rule.min_distance_m) == (1800, 2000)

    # twenty minutes into a walk the phone says it does not count yet, and why
    server_card = card_of()
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
    walk = walk_on(server_card, start, seed=11)
    rec = PatrolRecorder(store, user["id"], clock=lambda: walk.t[0])
    rec.start(card["id"], [card["segments"][0]["id"]])
    segments = [shape(s["geometry"]) for s in card["segments"]]
    for i in range(20 * 60):
        rec.on_fix({"t": walk.t[i], "lon": walk.lon[i], "lat": walk.lat[i], "accuracy": walk.accuracy[i]})
    early = rec.preview(segments, None, rule)
    assert not early.valid and any("不足 30 分钟" in r.zh for r in early.reasons)
    for i in range(20 * 60, len(walk)):
        rec.on_fix({"t": walk.t[i], "lon": walk.lon[i], "lat": walk.lat[i], "accuracy": walk.accuracy[i]})
    assert rec.preview(segments, None, rule).valid
    rec.clock = lambda: walk.t[-1]
    rec.finish({"垃圾": "无"}, "")
    sync.run_once(ignore_backoff=True)

    # after the sync the card says how long until the next patrol counts
    sync.pull()
    [card] = store.cards(user["id"])["cards"]
    done = card["compliance"]
    started_local = start.astimezone(LOCAL_TZ).date()
    same_week = dt.date.fromisoformat(done["window_start"]) <= started_local  # (not so in a week's first hours)
    assert done["counted"] == (1 if same_week else 0) and done["next_counted_after"]
    ended = dt.datetime.fromtimestamp(walk.t[-1], dt.UTC)
    hint = _gap_hint(done["next_counted_after"], now=ended + dt.timedelta(hours=24, minutes=30))
    assert hint.strip() == "距下次巡河可计入还有 72 小时"
    assert _gap_hint(done["next_counted_after"], now=ended + dt.timedelta(hours=97)) == ""
