"""Frequency rules from real counties, and the progress the phone shows ("本周 已巡 0/1 次")."""
import datetime as dt

from sqlalchemy import select

from server.assessment.compliance import compliance
from server.extensions import db
from server.grids.models import OrgUnit
from server.rules.models import FrequencyRule
from server.rules.service import create_rule
from server.transaction import unit_of_work

from .patrol_data import card_of, patrol_body, walk_on

INSP_A, ADMIN = "13900000101", "13900000001"
CN = dt.timezone(dt.timedelta(hours=8))


def _unit(code):
    return db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))


def _rule(code="610112", **over):
    data = {"org_unit_id": _unit(code).id, "name": "规则", "role": "inspector", "grid_level": None,
            "count_mode": "sessions", "window": "week", "rolling_days": None, "min_count": 1,
            "min_gap_hours": None, "active_months": None, "valid_from": dt.date(2026, 1, 1), "valid_to": None}
    data.update(over)
    return data


def _replace_county_rule(**over):
    for rule in db.session.scalars(select(FrequencyRule)):
        db.session.delete(rule)
    db.session.commit()
    with unit_of_work():  # as the command line does: committed
        return create_rule(None, _rule(**over))


def _patrol(api, card, when):
    # each walk its own GNSS noise, or the server would rightly flag a replay
    walk = walk_on(card, when, seed=int(when.timestamp()) % 10_000)
    r = api.post("/api/v1/patrols", token=api.token(INSP_A), json=patrol_body(walk, card))
    assert r.status_code == 201 and r.json()["valid"] and not r.json()["flagged"], r.text
    return r.json()


def test_the_phone_gets_its_progress_with_the_cards(engine_name, api):
    [card] = api.get("/api/v1/me/cards", token=api.token(INSP_A)).json()["cards"]
    done = card["compliance"]
    assert done["text"] == "本周 已巡 0/1 次" and done["required"] == 1 and done["remaining"] == 1
    monday = dt.date.fromisoformat(done["window_start"])
    assert monday.weekday() == 0 and done["next_due"] == (monday + dt.timedelta(days=6)).isoformat()


def test_demo_weekly_rule_counts_valid_patrols_of_the_week(engine_name, api):
    card = card_of(INSP_A)
    friday = dt.date(2026, 11, 20)
    assert compliance(card, friday)["counted"] == 0
    _patrol(api, card, dt.datetime(2026, 11, 20, 9, 0, tzinfo=CN))
    _patrol(api, card, dt.datetime(2026, 11, 13, 9, 0, tzinfo=CN))  # the week before
    db.session.expire_all()
    done = compliance(card, friday)
    assert (done["counted"], done["remaining"], done["next_due"]) == (1, 0, None)
    assert done["text"] == "本周 已巡 1/1 次"


def test_akqi_weekly_march_to_december_with_96_hours_between(engine_name, api):
    """Akqi County (2022): weekly only March-December; a new patrol counts only > 96 h after the last."""
    _replace_county_rule(name="阿合奇县", active_months=list(range(3, 13)), min_gap_hours=96)
    card = card_of(INSP_A)
    first = _patrol(api, card, dt.datetime(2026, 11, 16, 9, 0, tzinfo=CN))  # Monday
    _patrol(api, card, dt.datetime(2026, 11, 18, 9, 0, tzinfo=CN))  # Wednesday: only 48 h later
    _patrol(api, card, dt.datetime(2026, 11, 21, 9, 0, tzinfo=CN))  # Saturday: 120 h after Monday
    db.session.expire_all()
    done = compliance(card, dt.date(2026, 11, 22))
    assert done["counted"] == 2
    ended = dt.datetime.fromisoformat(first["ended_at"])
    assert done["next_counted_after"] is not None and dt.datetime.fromisoformat(done["next_counted_after"]) > ended
    february = compliance(card, dt.date(2026, 2, 10))
    assert february["required"] == 0 and february["text"] == "本周 无巡河要求"


def test_guangzhou_village_one_day_per_xun(engine_name, api):
    """Guangzhou (2021), rivers without warnings: village chiefs patrol on at least 1 day per 旬."""
    _replace_county_rule(name="广州市村级河长", window="xun", count_mode="days", min_count=1)
    card = card_of(INSP_A)
    _patrol(api, card, dt.datetime(2026, 11, 12, 8, 0, tzinfo=CN))
    _patrol(api, card, dt.datetime(2026, 11, 12, 16, 0, tzinfo=CN))  # the same day: one day
    db.session.expire_all()
    done = compliance(card, dt.date(2026, 11, 20))
    assert (done["window_start"], done["window_end"]) == ("2026-11-11", "2026-11-20")
    assert done["counted"] == 1 and done["text"] == "本旬 已巡 1/1 次"
    assert compliance(card, dt.date(2026, 11, 21))["counted"] == 0  # a new 旬


def test_a_township_rule_overrides_the_county_default(engine_name, api):
    with unit_of_work():  # as the command line does: committed
        create_rule(None, _rule("610112010", name="汉城街道加密巡查", min_count=2))
    in_hancheng = compliance(card_of(INSP_A), dt.date(2026, 11, 20))
    assert in_hancheng["rule"] == "汉城街道加密巡查" and in_hancheng["required"] == 2
    from server.cards.models import ResponsibilityCard

    elsewhere = next(c for c in db.session.scalars(select(ResponsibilityCard))
                     if not c.grid.path.startswith("/610112/610112010/"))
    assert compliance(elsewhere, dt.date(2026, 11, 20))["required"] == 1


def test_rule_administration(engine_name, api):
    admin = api.token(ADMIN)
    r = api.post("/api/v1/rules/frequency", token=admin, json={
        "org_unit_id": _unit("610112").id, "name": "重复", "window": "week", "min_count": 2,
        "valid_from": "2026-06-01"})
    assert r.status_code == 422 and r.json()["code"] == "rule.invalid" and "valid_from" in r.json()["errors"]
    r = api.post("/api/v1/rules/frequency", token=admin, json={
        "org_unit_id": _unit("610112").id, "name": "滚动", "window": "rolling", "min_count": 2,
        "valid_from": "2027-01-01"})
    assert r.status_code == 422 and "rolling_days" in r.json()["errors"]
    r = api.post("/api/v1/rules/frequency", token=admin, json={  # the weekly rule is open-ended
        "org_unit_id": _unit("610112").id, "name": "明年起每月4次", "window": "month", "min_count": 4,
        "valid_from": "2027-01-01"})
    assert r.status_code == 422 and "valid_from" in r.json()["errors"]
    r = api.post("/api/v1/rules/frequency", token=admin, json={  # a rule for village grids only is another rule
        "org_unit_id": _unit("610112").id, "name": "村级网格每月4次", "grid_level": "village", "window": "month",
        "min_count": 4, "valid_from": "2027-01-01"})
    assert r.status_code == 201
    names = [x["name"] for x in api.get("/api/v1/rules/frequency", token=admin).json()]
    assert names == ["村级巡查员每周巡河", "村级网格每月4次"]
    # in 2027 the village-level rule is the more specific one for a village card
    assert compliance(card_of(INSP_A), dt.date(2027, 1, 5))["rule"] == "村级网格每月4次"
