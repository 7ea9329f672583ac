"""The quota, scoring and pay engine on the real rules of domain.md, with patrol histories.

Every patrol here is a walk along the demo county's real river segments, uploaded through
the API as the phone does; rules and plans are set through the admin API as a county would.
October 2026 is the month assessed (a finished month: today is in November).
"""
import csv
import datetime as dt
import io

import pytest
from geoalchemy2.shape import to_shape
from openpyxl import load_workbook
from sqlalchemy import delete, select

from server.assessment.models import AssessmentLine
from server.auth.models import User
from server.cards.models import ResponsibilityCard
from server.extensions import db
from server.grids.models import OrgUnit, RiverSegment
from server.rules.models import FrequencyRule, Plan
from shared_models.clock import local_today
from shared_models.track import Track

from .patrol_data import card_of, patrol_body
from .tracks import walk_along

CN = dt.timezone(dt.timedelta(hours=8))
ADMIN, SUPERVISOR = "13900000001", "13900000012"
INSP_A, INSP_B, INSP_C = "13900000101", "13900000104", "13900000103"  # (102 has no river: no segments)
OCT = "2026-10"
# the four weeks that end in October 2026 (Mondays); the week of 26 Oct ends on 1 Nov: November's
OCT_WEEKS = [dt.datetime(2026, 9, 28, 9, tzinfo=CN), dt.datetime(2026, 10, 5, 9, tzinfo=CN),
             dt.datetime(2026, 10, 12, 9, tzinfo=CN), dt.datetime(2026, 10, 19, 9, tzinfo=CN)]


def _county():
    return db.session.scalar(select(OrgUnit).where(OrgUnit.code == "610112"))


def _user(phone):
    return db.session.scalar(select(User).where(User.phone == phone))


def _seed(when, extra=0):
    return (int(when.timestamp()) // 60 + extra) % 100_000


def walk(segment, when, seed, minutes=None):
    track = walk_along(to_shape(segment.geom), when.timestamp(), seed=seed)
    if minutes is not None:  # cut short: the phone stopped recording after ``minutes``
        n = min(len(track), int(minutes * 60))
        track = Track(track.lon[:n], track.lat[:n], track.t[:n], track.accuracy[:n])
    return track


def patrol(api, phone, card, when, segment=None, minutes=None, seed_extra=0, **over):
    segment = segment or card.segments[0]
    body = patrol_body(walk(segment, when, _seed(when, seed_extra), minutes), card, segment_ids=[segment.id], **over)
    r = api.post("/api/v1/patrols", token=api.token(phone), json=body)
    assert r.status_code == 201, r.text
    return r.json()


def post(api, path, phone=ADMIN, expect=201, **body):
    r = api.post(path, token=api.token(phone), json=body)
    assert r.status_code == expect, r.text
    return r.json()


def only_rules(api, *frequency, scoring=None, pay=None):
    """Replace the demo county's rules and plans with these."""
    db.session.execute(delete(FrequencyRule))
    db.session.execute(delete(Plan))
    db.session.commit()
    county = _county().id
    for rule in frequency:
        post(api, "/api/v1/rules/frequency", **{"org_unit_id": county, "valid_from": "2026-01-01", **rule})
    for kind, definition in (("scoring", scoring), ("pay", pay)):
        if definition is not None:
            post(api, "/api/v1/rules/plans", org_unit_id=county, kind=kind, name=f"{kind} plan",
                 valid_from="2026-01-01", definition=definition)


def month(api, period=OCT, phone=ADMIN, **params):
    r = api.get(f"/api/v1/assessments/{period}", token=api.token(phone), params=params)
    assert r.status_code == 200, r.text
    return r.json()


def line_of(result, phone):
    return next(x for x in result["lines"] if x["phone"] == phone)


WEEKLY = {"name": "每周巡河", "window": "week", "min_count": 1}
HANBIN_TIERS = [{"code": "excellent", "label": "优秀", "min": 90}, {"code": "pass", "label": "合格", "min": 60},
                {"code": "fail", "label": "不合格", "min": None}]
BY_COMPLETION = {"base": 0, "items": [{"label": "频次完成率", "metric": "completion_rate",
                                       "bands": [[0, 0], [0.5, 60], [0.75, 80], [1, 100]]}], "tiers": HANBIN_TIERS}
HANBIN_PAY = {"base": 600, "tier_bonus": {"excellent": 200, "pass": 100, "fail": 0}}


def test_hanbin_pay_600_plus_200_100_0_by_tier(engine_name, api):
    """Hanbin, Shaanxi: CNY 600 a month, +200 excellent, +100 pass, 0 fail."""
    only_rules(api, WEEKLY, scoring=BY_COMPLETION, pay=HANBIN_PAY)
    a, b = card_of(INSP_A), card_of(INSP_B)
    for when in OCT_WEEKS:
        patrol(api, INSP_A, a, when)
    for when in OCT_WEEKS[:2]:
        patrol(api, INSP_B, b, when)
    patrol(api, INSP_A, a, dt.datetime(2026, 10, 27, 9, tzinfo=CN))  # 26 Oct - 1 Nov: November's week
    result = month(api)
    assert result["status"] == "preview"
    la, lb, lc = line_of(result, INSP_A), line_of(result, INSP_B), line_of(result, INSP_C)
    assert [w["window"] for w in la["windows"]] == ["09-28~10-04(周)", "10-05~10-11(周)", "10-12~10-18(周)",
                                                    "10-19~10-25(周)"]
    assert (la["metrics"]["required"], la["metrics"]["counted"], la["score"], la["tier_label"]) == (4, 4, 100, "优秀")
    assert la["amount_fen"] == 80000 and [p["yuan"] for p in la["pay_lines"]] == [600, 200]
    assert (lb["metrics"]["counted"], lb["metrics"]["missed_patrols"], lb["score"], lb["tier"]) == (2, 2, 60, "pass")
    assert lb["amount_fen"] == 70000
    assert (lc["metrics"]["counted"], lc["tier"], lc["amount_fen"]) == (0, "fail", 60000)
    why = " ".join(i["why"] for i in lb["items"])
    assert "频次完成率 0.5 ≥ 0.5 → 60 分" in why
    # the rules used are named with the result, so a line can be explained
    assert [r["name"] for r in result["rules"]["frequency"]] == ["每周巡河"]


def test_beipiao_deductions_from_100_below_80_dismissal(engine_name, api):
    """Beipiao, Liaoning: a monthly score by deduction from 100; below 80 means dismissal."""
    only_rules(api, WEEKLY, scoring={
        "base": 100, "floor": 0, "items": [{"label": "缺巡", "metric": "missed_patrols", "points_each": -15,
                                            "cap": 100}],
        "tiers": [{"code": "pass", "label": "合格", "min": 80}, {"code": "fail", "label": "不合格", "min": None}]},
        pay={"base": 500, "dismissal_below": 80})
    a, b = card_of(INSP_A), card_of(INSP_B)
    for when in OCT_WEEKS[:3]:
        patrol(api, INSP_A, a, when)
    for when in OCT_WEEKS[:2]:
        patrol(api, INSP_B, b, when)
    result = month(api)
    la, lb, lc = line_of(result, INSP_A), line_of(result, INSP_B), line_of(result, INSP_C)
    assert (la["score"], la["dismissal"]) == (85, False)
    assert (lb["score"], lb["dismissal"], lb["dismissal_why"]) == (70, True, "得分低于 80 分，建议解聘")
    assert lc["score"] == 40 and lc["items"][1]["why"] == "缺巡次数 4 × -15 分"
    assert result["totals"]["townships"] and sum(t["dismissal"] for t in result["totals"]["townships"]) >= 2


def test_town_template_100_points_times_50_yuan(engine_name, api):
    """The town template: 100 points x CNY 50 a point; village chiefs' tiers 90 / 80 / 70."""
    tiers = [{"code": "excellent", "label": "优秀", "min": 90}, {"code": "pass", "label": "合格", "min": 80},
             {"code": "basic", "label": "基本合格", "min": 70}, {"code": "fail", "label": "不合格", "min": None}]
    only_rules(api, WEEKLY, scoring={"base": 100, "items": [
        {"label": "缺巡", "metric": "missed_patrols", "points_each": -8},
        {"label": "发现问题", "metric": "problems_reported", "points_each": 2, "cap": 4}], "ceiling": 100,
        "tiers": tiers}, pay={"per_point": 50})
    a = card_of(INSP_A)
    for when in OCT_WEEKS[1:]:
        patrol(api, INSP_A, a, when)
    seg = to_shape(a.segments[0].geom).interpolate(0.5, normalized=True)
    for day in (3, 9, 21):  # three problems found and reported on the river (+2 each, at most 4)
        post(api, "/api/v1/problems", INSP_A, uuid=f"00000000-0000-4000-8000-0000000000{day:02d}",
             category="garbage", lon=seg.x, lat=seg.y, reported_at=f"2026-10-{day:02d}T10:00:00+08:00")
    line = line_of(month(api), INSP_A)
    assert line["metrics"]["problems_reported"] == 3 and line["metrics"]["missed_patrols"] == 1
    assert (line["score"], line["tier_label"], line["amount_fen"]) == (96, "优秀", 480000)
    assert [i["points"] for i in line["items"]] == [100, -8, 4]
    assert line["items"][2]["why"] == "上报问题数 3 × 2 分，封顶 4 分"
    c = line_of(month(api), INSP_C)
    assert (c["score"], c["tier"], c["amount_fen"]) == (68, "fail", 340000)


def _two_river_card():
    """A demo card whose segments lie on two rivers, each long enough for Dinghu's 300 m."""
    for card in db.session.scalars(select(ResponsibilityCard).order_by(ResponsibilityCard.id)):
        rivers = {}
        for s in card.segments:
            if s.length_m >= 300:
                rivers.setdefault(s.river_id, s)
        if len(rivers) >= 2:
            return card, list(rivers.values())[:2]
    raise AssertionError("the demo county has a card on two rivers")


def test_dinghu_per_river_village_twice_a_month(engine_name, api):
    """Dinghu town, Sixian: counted per river, a village patrols each river at least twice a month;
    Sixian's validity rule: at least 5 minutes and 300 m."""
    only_rules(api, {"name": "村级每河每月两次", "window": "month", "min_count": 2, "count_per": "river",
                     "grid_level": "village"})
    post(api, "/api/v1/rules/validity", org_unit_id=_county().id, name="泗县有效巡河", min_duration_min=5,
         min_distance_m=300, valid_from="2026-01-01")
    card, (first, second) = _two_river_card()
    phone = card.inspector.phone
    for n, day in enumerate((6, 20)):
        patrol(api, phone, card, dt.datetime(2026, 10, day, 9, tzinfo=CN), segment=first, seed_extra=n)
    done = patrol(api, phone, card, dt.datetime(2026, 10, 13, 9, tzinfo=CN), segment=second)
    assert done["valid"] and done["rules_version"].startswith("validity-")
    line = line_of(month(api), phone)
    per_river = {w["target"]: (w["required"], w["counted"], w["met"]) for w in line["windows"]}
    names = {first.river_id: None, second.river_id: None}
    for s in card.segments:
        names[s.river_id] = db.session.get(type(s).river.property.mapper.class_, s.river_id).name
    assert per_river[names[first.river_id]] == (2, 2, True)
    assert per_river[names[second.river_id]] == (2, 1, False)
    assert (line["metrics"]["required"], line["metrics"]["counted"], line["metrics"]["missed_windows"]) == (
        len(per_river) * 2, 3, len(per_river) - 1)


def test_guangzhou_warnings_raise_the_xun_requirement_strictest_wins(engine_name, api):
    """Guangzhou (2021): village chiefs patrol 1 day per 旬 on rivers with no warning; warnings by type
    and level raise it, and the highest wins."""
    only_rules(api, {"name": "广州村级河长", "window": "xun", "count_mode": "days", "min_count": 1,
                     "overrides": [{"level": "yellow", "min_count": 2}, {"level": "orange", "min_count": 3},
                                   {"level": "red", "min_count": 5},
                                   {"warning_type": "water_quality", "level": "red", "min_count": 10}]})
    a, b = card_of(INSP_A), card_of(INSP_B)
    county = _county().id
    river_a = a.segments[0].river_id
    other = db.session.scalar(select(RiverSegment.river_id).where(
        RiverSegment.river_id.not_in([s.river_id for s in a.segments + b.segments])))
    today = local_today()
    post(api, "/api/v1/warnings", org_unit_id=county, warning_type="notice", level="yellow", river_ids=[river_a],
         valid_from=today.isoformat(), valid_to=(today + dt.timedelta(days=30)).isoformat())
    post(api, "/api/v1/warnings", org_unit_id=county, warning_type="problem", level="red",
         segment_ids=[a.segments[0].id], valid_from=today.isoformat(), valid_to=today.isoformat(), note="黑臭")
    post(api, "/api/v1/warnings", org_unit_id=county, warning_type="water_quality", level="red",
         river_ids=[other], valid_from=today.isoformat(), valid_to=today.isoformat())
    cards = {phone: api.get("/api/v1/me/cards", token=api.token(phone)).json()["cards"][0]["compliance"]
             for phone in (INSP_A, INSP_B)}
    assert cards[INSP_A]["required"] == 5 and cards[INSP_A]["text"].endswith("（问题预警红色）")
    assert cards[INSP_A]["text"].startswith("本旬 已巡 0/5 次")
    assert cards[INSP_B]["required"] == 1 and cards[INSP_B]["warning"] is None
    # a warning outside the county's rivers is refused, with the field named
    r = api.post("/api/v1/warnings", token=api.token(ADMIN), json={
        "org_unit_id": county, "warning_type": "notice", "level": "red", "river_ids": [999999],
        "valid_from": "2026-11-01", "valid_to": "2026-11-30"})
    assert r.status_code == 422 and r.json()["code"] == "rule.invalid" and "river_ids" in r.json()["errors"]


def test_card_handed_over_mid_month_both_judged_for_their_days(engine_name, api):
    """A card handed over on 16 October: each holder is asked for their own days (rounded up), paid
    for their share of the month, and credited with their own patrols only."""
    only_rules(api, WEEKLY, scoring=BY_COMPLETION, pay=HANBIN_PAY)
    a = card_of(INSP_A)
    b_user = _user(INSP_B)
    for when in OCT_WEEKS[:3]:
        patrol(api, INSP_A, a, when)
    new = post(api, f"/api/v1/cards/{a.id}/revisions", effective_from="2026-10-16", inspector_id=b_user.id,
               reason="人员调整 交接")
    patrol(api, INSP_B, db.session.get(ResponsibilityCard, new["id"]), OCT_WEEKS[3])
    result = month(api)
    la, lb = line_of(result, INSP_A), line_of(result, INSP_B)
    a_weeks = {w["window"]: (w["required"], w["counted"]) for w in la["windows"]}
    assert a_weeks == {"09-28~10-04(周)": (1, 1), "10-05~10-11(周)": (1, 1), "10-12~10-18(周)": (1, 1),
                       "10-19~10-25(周)": (0, 0)}
    assert "在岗 4/7 天" in next(w["why"] for w in la["windows"] if w["window"] == "10-12~10-18(周)")
    handed = [w for w in lb["windows"] if w["window"] in ("10-12~10-18(周)", "10-19~10-25(周)")
              and a.card_no in lb["cards"]]
    assert la["metrics"]["held_days"] == 15 and la["amount_fen"] == round(80000 * 15 / 31)
    assert lb["metrics"]["held_days"] == 31 and a.card_no in lb["cards"] and handed
    # B's own card: no patrol in October, so B's four own weeks are missed; the handed-over card's
    # week of 12-18 Oct (3 days held) asks one patrol too
    assert lb["metrics"]["required"] == 4 + 2 and lb["metrics"]["counted"] == 1


def test_leave_and_a_patrol_crossing_midnight_into_the_next_week(engine_name, api):
    """Leave 5-18 October: nothing asked in those two weeks. A patrol from Sunday 23:30 to Monday
    00:36 counts in the week it started."""
    only_rules(api, WEEKLY, scoring=BY_COMPLETION, pay=HANBIN_PAY)
    post(api, "/api/v1/exemptions", SUPERVISOR, user_id=_user(INSP_A).id, date_from="2026-10-05",
         date_to="2026-10-18", reason="病假")
    a = card_of(INSP_A)
    patrol(api, INSP_A, a, dt.datetime(2026, 10, 4, 23, 30, tzinfo=CN))  # Sunday night: the week of 28 Sep
    line = line_of(month(api), INSP_A)
    weeks = {w["window"]: (w["required"], w["counted"]) for w in line["windows"]}
    assert weeks == {"09-28~10-04(周)": (1, 1), "10-05~10-11(周)": (0, 0), "10-12~10-18(周)": (0, 0),
                     "10-19~10-25(周)": (1, 0)}
    assert line["metrics"]["held_days"] == 31 - 14 and line["amount_fen"] == round(70000 * 17 / 31)
    # an inspector sees their own leave; another inspector does not
    assert len(api.get("/api/v1/exemptions", token=api.token(INSP_A)).json()) == 1
    assert api.get("/api/v1/exemptions", token=api.token(INSP_B)).json() == []


def test_akqi_validity_refuses_short_patrols(engine_name, api):
    """Akqi: at least 30 minutes and 2 km; below either the patrol does not count (its reasons are shown)."""
    only_rules(api, WEEKLY)
    rule = post(api, "/api/v1/rules/validity", org_unit_id=_county().id, name="阿合奇县有效巡河",
                min_duration_min=30, min_distance_m=2000, valid_from="2026-01-01")
    a = card_of(INSP_A)
    short = patrol(api, INSP_A, a, OCT_WEEKS[0], minutes=20)
    assert not short["valid"] and not short["counts"] and short["rules_version"] == f"validity-{rule['id']}"
    assert any("不足 30 分钟" in r for r in short["analysis"]["reasons"])
    full = patrol(api, INSP_A, a, OCT_WEEKS[1])  # 2.4 km there and back: over an hour, over 2 km
    assert full["valid"] and full["distance_m"] >= 2000 and full["duration_s"] >= 1800
    c = card_of(INSP_C)  # a 520 m segment: there and back is not 2 km
    near = patrol(api, INSP_C, c, OCT_WEEKS[1])
    assert not near["valid"] and any("不足 2000 米" in r for r in near["analysis"]["reasons"])
    weeks = {w["window"]: w["counted"] for w in line_of(month(api), INSP_A)["windows"]}
    assert (weeks["09-28~10-04(周)"], weeks["10-05~10-11(周)"]) == (0, 1)


def test_flagged_patrols_count_once_cleared_rejected_never(engine_name, api):
    """Akqi's minimum (>= 30 min, >= 2 km) set to flag rather than refuse: a short patrol waits for
    a supervisor. Cleared, it counts; a rejected patrol never counts and vetoes the month."""
    only_rules(api, WEEKLY, scoring={"base": 100, "items": [
        {"label": "缺巡", "metric": "missed_patrols", "points_each": -10}],
        "veto": [{"label": "虚假巡河", "metric": "rejected_patrols"}], "tiers": HANBIN_TIERS})
    post(api, "/api/v1/rules/validity", org_unit_id=_county().id, name="阿合奇县有效巡河", min_duration_min=30,
         min_distance_m=2000, on_fail="flag", valid_from="2026-01-01")
    a = card_of(INSP_A)
    short = patrol(api, INSP_A, a, OCT_WEEKS[0], minutes=20)
    assert short["flagged"] and not short["counts"]
    assert [f["code"] for f in short["flags"]] == ["below_rule"]
    assert "不足 30 分钟" in short["flags"][0]["detail"]
    assert line_of(month(api), INSP_A)["metrics"]["counted"] == 0
    # the inspector cannot review their own patrol; their supervisor clears it
    assert api.post(f"/api/v1/patrols/{short['uuid']}/review", token=api.token(INSP_A),
                    json={"decision": "clear"}).status_code == 403
    cleared = post(api, f"/api/v1/patrols/{short['uuid']}/review", SUPERVISOR, expect=200, decision="clear",
                   note="上游施工，绕行")
    assert cleared["counts"] and cleared["review_status"] == "cleared"
    assert line_of(month(api), INSP_A)["metrics"]["counted"] == 1
    # a rejection needs a reason; then the patrol never counts, and the month is vetoed
    second = patrol(api, INSP_A, a, OCT_WEEKS[1])
    r = api.post(f"/api/v1/patrols/{second['uuid']}/review", token=api.token(SUPERVISOR), json={"decision": "reject"})
    assert r.status_code == 422 and r.json()["code"] == "review.invalid"
    post(api, f"/api/v1/patrols/{second['uuid']}/review", SUPERVISOR, expect=200, decision="reject",
         note="轨迹为车载，未沿河步行")
    line = line_of(month(api), INSP_A)
    assert line["metrics"]["counted"] == 1 and line["metrics"]["rejected_patrols"] == 1
    assert (line["score"], line["veto"], line["tier"]) == (0, "虚假巡河", "fail")
    # and a patrol that is not flagged cannot be "cleared"
    third = patrol(api, INSP_A, a, OCT_WEEKS[2], minutes=None)
    assert api.post(f"/api/v1/patrols/{third['uuid']}/review", token=api.token(SUPERVISOR),
                    json={"decision": "clear"}).json()["code"] == "review.invalid"


def test_lock_snapshot_late_patrol_becomes_a_proposed_correction(engine_name, api):
    """Locked October stays as paid; a patrol synced late is proposed as a correction, applied only by
    an admin with a note; an admin's own correction needs a reason; every step is kept."""
    only_rules(api, WEEKLY, scoring=BY_COMPLETION, pay=HANBIN_PAY)
    a = card_of(INSP_A)
    for when in OCT_WEEKS[:3]:
        patrol(api, INSP_A, a, when)
    this_month = f"{local_today():%Y-%m}"
    assert api.post(f"/api/v1/assessments/{this_month}/lock", token=api.token(ADMIN), json={}).json()["code"] == \
        "assessment.period_open"
    locked = post(api, f"/api/v1/assessments/{OCT}/lock")
    assert locked["status"] == "locked" and line_of(locked, INSP_A)["amount_fen"] == 70000
    assert {r["name"] for r in locked["rules"]["pay"]} == {"pay plan"}
    assert api.post(f"/api/v1/assessments/{OCT}/lock", token=api.token(ADMIN), json={}).json()["code"] == \
        "assessment.locked"
    # the phone was offline for a month: the fourth week's patrol arrives now
    late = patrol(api, INSP_A, a, OCT_WEEKS[3])
    assert line_of(month(api), INSP_A)["amount_fen"] == 70000  # nothing changed behind anyone's back
    [proposed] = api.get(f"/api/v1/assessments/{OCT}/corrections", token=api.token(ADMIN)).json()
    assert (proposed["source"], proposed["status"], proposed["patrol_uuid"]) == ("late_patrol", "proposed",
                                                                                 late["uuid"])
    assert (proposed["before"]["amount_fen"], proposed["after"]["amount_fen"]) == (70000, 80000)
    # the supervisor sees it but cannot decide; the admin applies it with a note
    assert api.get(f"/api/v1/assessments/{OCT}/corrections", token=api.token(SUPERVISOR)).json()
    r = api.post(f"/api/v1/assessments/corrections/{proposed['id']}/decision", token=api.token(SUPERVISOR),
                 json={"decision": "apply", "note": "同意"})
    assert r.status_code == 403
    applied = post(api, f"/api/v1/assessments/corrections/{proposed['id']}/decision", expect=200,
                   decision="apply", note="离线补传，核实无误")
    assert applied["status"] == "applied" and applied["decided_by_id"] == _user(ADMIN).id
    again = api.post(f"/api/v1/assessments/corrections/{proposed['id']}/decision", token=api.token(ADMIN),
                     json={"decision": "dismiss", "note": "重复"})
    assert again.status_code == 409 and again.json()["code"] == "assessment.correction_decided"
    line = line_of(month(api), INSP_A)
    assert (line["amount_fen"], line["tier"], line["corrected_by"]) == (80000, "excellent", proposed["id"])
    # an admin's own correction: a reason is required; applied at once, kept with its author
    b = _user(INSP_B)
    r = api.post(f"/api/v1/assessments/{OCT}/corrections", token=api.token(ADMIN),
                 json={"inspector_id": b.id, "amount_fen": 65000})
    assert r.status_code == 422
    manual = post(api, f"/api/v1/assessments/{OCT}/corrections", inspector_id=b.id, amount_fen=65000,
                  reason="汛期抢险，酌情补发")
    assert (manual["source"], manual["status"], manual["before"]["amount_fen"], manual["after"]["amount_fen"]) == (
        "manual", "applied", 60000, 65000)
    assert line_of(month(api), INSP_B)["amount_fen"] == 65000
    # the snapshot rows themselves were never rewritten
    stored = db.session.scalar(select(AssessmentLine).where(AssessmentLine.inspector_id == _user(INSP_A).id))
    assert stored.amount_fen == 70000
    # the inspector sees their own month, corrected, and nobody else's
    mine = api.get(f"/api/v1/me/assessments/{OCT}", token=api.token(INSP_A)).json()
    assert [x["phone"] for x in mine["lines"]] == [INSP_A] and mine["lines"][0]["amount_fen"] == 80000


def test_payroll_csv_and_xlsx_with_chinese_headers_and_township_totals(engine_name, api):
    only_rules(api, WEEKLY, scoring=BY_COMPLETION, pay=HANBIN_PAY)
    a = card_of(INSP_A)
    for when in OCT_WEEKS:
        patrol(api, INSP_A, a, when)
    result = month(api)
    r = api.get(f"/api/v1/assessments/{OCT}/payroll", token=api.token(ADMIN), params={"format": "csv"})
    assert r.status_code == 200 and "preview" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert "预览-未锁定" in rows[0][0] and rows[1][:3] == ["乡镇(街道)", "网格", "巡查员"]
    body = rows[2:2 + len(result["lines"])]
    mine = next(row for row in body if row[3] == INSP_A)
    assert (mine[8], mine[9], mine[10]) == ("100", "优秀", "800.00")
    totals = rows[3 + len(result["lines"]):]
    assert totals[0] == ["乡镇(街道)", "人数", "应发合计(元)", "建议解聘人数"]
    assert totals[-1][0] == "合计" and float(totals[-1][2]) == sum(float(row[10]) for row in body)
    assert sum(float(t[2]) for t in totals[1:-1]) == float(totals[-1][2]) and len(totals) - 2 == 3
    post(api, f"/api/v1/assessments/{OCT}/lock")
    r = api.get(f"/api/v1/assessments/{OCT}/payroll", token=api.token(ADMIN), params={"format": "xlsx"})
    assert r.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(r.content))
    sheet, towns = book["补贴明细"], book["乡镇合计"]
    assert "已锁定" in sheet["A1"].value and sheet["K2"].value == "应发金额(元)"
    amounts = [row[10] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert 800 in amounts and all(isinstance(x, (int, float)) for x in amounts)  # numbers: the sheet sums them
    assert list(towns.iter_rows(values_only=True))[-1][2] == pytest.approx(sum(amounts))


def test_rules_api_refuses_bad_plans_and_rewriting_the_past(engine_name, api):
    county = _county().id
    r = api.post("/api/v1/rules/plans", token=api.token(ADMIN), json={
        "org_unit_id": county, "kind": "scoring", "name": "坏方案", "valid_from": "2027-01-01", "definition": {
            "base": 100, "tiers": [{"code": "pass", "label": "合格", "min": 60},
                                   {"code": "excellent", "label": "优秀", "min": 90},
                                   {"code": "fail", "label": "不合格", "min": None}]}})
    assert r.status_code == 422 and "tiers" in str(r.json()["errors"])
    r = api.post("/api/v1/rules/plans", token=api.token(ADMIN), json={
        "org_unit_id": county, "kind": "scoring", "name": "坏指标", "valid_from": "2027-01-01",
        "definition": {"base": 100, "items": [{"label": "x", "metric": "mood", "points_each": 1}]}})
    assert r.status_code == 422 and "mood" not in r.json()["message"] and r.json()["errors"]
    # the demo's pay plan runs from 2026-01-01 without end: another at the same scope overlaps
    r = api.post("/api/v1/rules/plans", token=api.token(ADMIN), json={
        "org_unit_id": county, "kind": "pay", "name": "新补贴", "valid_from": "2027-12-01",
        "definition": {"base": 700}})
    assert r.status_code == 422 and r.json()["code"] == "rule.invalid" and "valid_from" in r.json()["errors"]
    plan = next(p for p in api.get("/api/v1/rules/plans", token=api.token(ADMIN)).json() if p["kind"] == "pay")
    r = api.patch(f"/api/v1/rules/plans/{plan['id']}", token=api.token(ADMIN), json={"valid_to": "2026-03-31"})
    assert r.status_code == 422 and "valid_to" in r.json()["errors"]  # past months stay as they were judged
    end = local_today() + dt.timedelta(days=7)
    ended = api.patch(f"/api/v1/rules/plans/{plan['id']}", token=api.token(ADMIN), json={"valid_to": end.isoformat()})
    assert ended.status_code == 200 and ended.json()["valid_to"] == end.isoformat()
    post(api, "/api/v1/rules/plans", org_unit_id=county, kind="pay", name="新补贴",
         valid_from=(end + dt.timedelta(days=1)).isoformat(), definition={"base": 700})
    # a supervisor sees the county's plans that govern their township, but may not change them
    names = {p["name"] for p in api.get("/api/v1/rules/plans", token=api.token(SUPERVISOR)).json()}
    assert {"新补贴", "村级巡查员月度考核"} <= names
    assert api.patch(f"/api/v1/rules/plans/{plan['id']}", token=api.token(SUPERVISOR),
                     json={"name": "x"}).status_code == 403


def test_supervisor_sees_their_township_only(engine_name, api):
    a = card_of(INSP_A)
    patrol(api, INSP_A, a, OCT_WEEKS[0])
    county = month(api)
    own = month(api, phone=SUPERVISOR)
    assert {x["phone"] for x in own["lines"]} < {x["phone"] for x in county["lines"]}
    assert INSP_A in {x["phone"] for x in own["lines"]}
    assert len({x["township"] for x in own["lines"]}) == 1
    other = month(api, phone="13900000011")
    assert INSP_A not in {x["phone"] for x in other["lines"]}
    r = api.get(f"/api/v1/assessments/{OCT}", token=api.token("13900000011"),
                params={"org_unit_id": a.grid_id})
    assert r.status_code == 404
    r = api.get("/api/v1/assessments/2026-13", token=api.token(ADMIN))
    assert r.status_code == 422 and r.json()["code"] == "assessment.bad_period"


def test_jing_county_by_segment_length_and_xunyang_yearly(engine_name, api):
    """Jing County, Anhui: CNY 300-600 a month by segment length (here 150 a km, at least 300, at most
    600). Xunyang, Shaanxi: CNY 5,000 a person a year, accrued monthly."""
    only_rules(api, WEEKLY, pay={"per_km": 150, "min_amount": 300, "max_amount": 600})
    result = month(api)
    lengths = {}
    for phone in (INSP_A, "13900000105"):
        card = card_of(phone)
        lengths[phone] = sum(s.length_m for s in card.segments)
    a, short = line_of(result, INSP_A), line_of(result, "13900000105")
    assert lengths[INSP_A] > 2000 and a["amount_fen"] == round(lengths[INSP_A] / 1000 * 150 * 100)
    assert a["pay_lines"][0]["why"].endswith("× 150 元/公里")
    assert lengths["13900000105"] < 2000 and short["amount_fen"] == 30000  # the floor
    assert short["pay_lines"][-1]["why"] == "保底 300 元/月"
    db.session.execute(delete(Plan))
    db.session.commit()
    post(api, "/api/v1/rules/plans", org_unit_id=_county().id, kind="pay", name="旬阳县", valid_from="2026-01-01",
         definition={"base": 5000, "period": "year"})
    line = line_of(month(api), INSP_A)
    assert line["amount_fen"] == 41667 and [p["why"] for p in line["pay_lines"]] == [
        "5000 元/年", "每年 5000.00 元，本月计提 1/12"]


def test_leave_and_a_card_change_dated_into_a_locked_month_are_proposed_not_applied(engine_name, api):
    only_rules(api, WEEKLY, scoring=BY_COMPLETION, pay=HANBIN_PAY)
    a = card_of(INSP_A)
    post(api, f"/api/v1/assessments/{OCT}/lock")
    locked = line_of(month(api), INSP_A)
    assert locked["amount_fen"] == 60000
    post(api, "/api/v1/exemptions", SUPERVISOR, user_id=_user(INSP_A).id, date_from="2026-10-01",
         date_to="2026-10-31", reason="住院")
    post(api, f"/api/v1/cards/{a.id}/end", expect=200, valid_to="2026-10-20", reason="调离")
    proposals = api.get(f"/api/v1/assessments/{OCT}/corrections", token=api.token(ADMIN)).json()
    assert [(p["source"], p["status"]) for p in proposals] == [("exemption", "proposed"), ("card", "proposed")]
    leave = proposals[0]
    assert (leave["before"]["amount_fen"], leave["after"]["amount_fen"]) == (60000, 0)
    assert "住院" in leave["reason"] and "调离" in proposals[1]["reason"]
    assert line_of(month(api), INSP_A)["amount_fen"] == 60000  # until an admin decides


def test_a_month_at_the_ends_of_the_calendar_is_a_422_not_a_crash(engine_name, api):
    admin = api.token(ADMIN)
    for period in ("0001-01", "9999-12"):  # a day before 1 Jan of year 1 or after 31 Dec 9999 does not exist
        for path in (f"/api/v1/assessments/{period}", f"/api/v1/assessments/{period}/payroll",
                     f"/api/v1/assessments/{period}/corrections", f"/api/v1/me/assessments/{period}"):
            r = api.get(path, token=admin if not path.startswith("/api/v1/me") else api.token(INSP_A))
            assert r.status_code == 422, (path, r.text)
            assert r.json()["code"] == "assessment.bad_period" and "1900-01" in r.json()["message"]
        r = api.post(f"/api/v1/assessments/{period}/lock", token=admin, json={})
        assert r.status_code == 422 and r.json()["code"] == "assessment.bad_period"
    assert api.get("/api/v1/assessments/2999-12", token=admin).status_code == 200
