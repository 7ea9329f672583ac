"""Problem cases through the closed loop: 上报 -> 受理 -> 交办 -> 整改 -> 复核 -> 销号, with 督办 when late.

Reports come from the phone's API; supervisors and admins act through the API; every step
is checked against every role, and against every state it is not allowed from.
"""
import datetime as dt
import io
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from server.auth.models import User
from server.cases import workflow
from server.cases.calendar import add_working_days, working_days_between
from server.cases.models import Case
from server.extensions import db
from server.grids.models import OrgUnit
from server.transaction import unit_of_work
from shared_models.clock import local_today

from .patrol_data import card_of, second_county
from .photos import jpeg_with_exif, upload

ADMIN, SUP_OWN, SUP_OTHER = "13900000001", "13900000012", "13900000011"
REPORTER, ASSIGNEE, OTHER_INSP = "13900000101", "13900000104", "13900000106"  # 101, 104: 汉城街道; 106: 六村堡
ADMIN_OTHER = "13900000901"


@pytest.fixture
def demo_other_county(api):
    second_county()


def _user(phone):
    return db.session.scalar(select(User).where(User.phone == phone))


def _spot(offset_m=0.0, phone=REPORTER):
    """A point inside the reporter's own village (so the case is routed to that grid)."""
    grid_id = card_of(phone).grid_id
    text = db.session.scalar(select(func.ST_AsText(func.ST_PointOnSurface(OrgUnit.boundary)))
                             .where(OrgUnit.id == grid_id))
    lon, lat = (float(v) for v in text.removeprefix("POINT(").rstrip(")").split())
    return lon + offset_m / 92_000, lat  # ~92 km a degree of longitude at 34°N


def report(api, phone=REPORTER, category="luan_dui", offset_m=0.0, **over):
    lon, lat = _spot(offset_m)
    body = {"uuid": str(uuid.uuid4()), "category": category, "lon": lon, "lat": lat, "description": "河边堆放建筑垃圾",
            "reported_at": dt.datetime.now(dt.UTC).isoformat(), **over}
    r = api.post("/api/v1/problems", token=api.token(phone), json=body)
    assert r.status_code == 201, r.text
    return r.json()["case_no"]


def step(api, phone, case_no, action, expect=201, **body):
    r = api.post(f"/api/v1/cases/{case_no}/transitions", token=api.token(phone), json={"action": action, **body})
    assert r.status_code == expect, (action, phone, r.text)
    return r.json()


def case(api, case_no, phone=SUP_OWN):
    r = api.get(f"/api/v1/cases/{case_no}", token=api.token(phone))
    assert r.status_code == 200, r.text
    return r.json()


def photo(api, phone):
    return upload(api, api.token(phone), jpeg_with_exif(size=(640, 480)))["uuid"]


def on_site():
    lon, lat = _spot()
    return {"lon": lon, "lat": lat}


def bring_to(api, state):
    """A fresh case in ``state``, moved there by the people whose job each step is."""
    no = report(api)
    if state == "reported":
        return no
    if state == "refused":
        step(api, SUP_OWN, no, "refuse", refusal="invalid", note="非河道范围")
        return no
    step(api, SUP_OWN, no, "accept")
    if state == "accepted":
        return no
    step(api, SUP_OWN, no, "assign", assignee_id=_user(ASSIGNEE).id)
    if state == "assigned":
        return no
    step(api, ASSIGNEE, no, "start")
    if state == "rectifying":
        return no
    step(api, ASSIGNEE, no, "rectify", photo_uuids=[photo(api, ASSIGNEE)], note="已清运")
    if state == "rectified":
        return no
    step(api, REPORTER, no, "recheck_pass", **on_site())
    assert state == "closed"
    return no


def test_the_whole_loop_with_its_ledger(engine_name, api):
    no = report(api)
    seen = case(api, no, REPORTER)
    assert (seen["status"], seen["status_label"], seen["allowed_actions"]) == ("reported", "已上报", [])
    assert case(api, no)["allowed_actions"] == ["accept", "refuse"]
    step(api, SUP_OWN, no, "accept")
    assigned = step(api, SUP_OWN, no, "assign", assignee_id=_user(ASSIGNEE).id)["case"]
    today = local_today()
    assert assigned["deadline"] == add_working_days(today, 10, "/610112/").isoformat()  # general: 10 working days
    assert assigned["rechecker_id"] == _user(REPORTER).id  # the finder re-checks, by default
    step(api, ASSIGNEE, no, "start")
    refused = step(api, ASSIGNEE, no, "rectify", expect=422)
    assert refused["code"] == "case.invalid" and "photo_uuids" in refused["errors"]
    after = photo(api, ASSIGNEE)
    step(api, ASSIGNEE, no, "rectify", photo_uuids=[after], note="已清运")
    far = step(api, REPORTER, no, "recheck_pass", expect=422, lon=on_site()["lon"] + 0.02, lat=on_site()["lat"])
    assert "须到现场" in far["errors"]["lon"]
    # the re-checker sees the after-photo (now the problem's) and the before-photos
    assert api.get(f"/api/v1/photos/{after}", token=api.token(REPORTER)).status_code == 200
    closed = step(api, REPORTER, no, "recheck_pass", note="现场已清理干净", **on_site())["case"]
    assert closed["status"] == "closed" and closed["closed_at"]
    history = case(api, no)["events"]
    assert [(e["action"], e["from_status"], e["to_status"]) for e in history] == [
        ("report", "reported", "reported"), ("accept", "reported", "accepted"), ("assign", "accepted", "assigned"),
        ("start", "assigned", "rectifying"), ("rectify", "rectifying", "rectified"),
        ("recheck_pass", "rectified", "closed")]
    assert history[-1]["actor"] and history[-1]["evidence"]["distance_m"] < 200
    assert history[4]["evidence"]["photo_uuids"] == [after]
    # reopened: back to the assignee with a new deadline
    reopened = step(api, SUP_OWN, no, "reopen", note="群众再次投诉")["case"]
    assert (reopened["status"], reopened["closed_at"]) == ("assigned", None)

    r = api.get("/api/v1/cases/ledger", token=api.token(SUP_OWN))
    book = load_workbook(io.BytesIO(r.content))
    rows = list(book["问题台账"].iter_rows(values_only=True))
    assert rows[1][:4] == ("案件编号", "上报时间", "问题类别", "严重程度")
    mine = next(row for row in rows[2:] if row[0] == no)
    assert (mine[2], mine[9]) == ("乱堆", "已交办")
    log = [row for row in book["流转记录"].iter_rows(values_only=True) if row[0] == no]
    assert [row[2] for row in log] == ["上报", "受理", "交办", "开始整改", "整改完成", "复核通过", "重新打开"]


STATES = ["reported", "accepted", "refused", "assigned", "rectifying", "rectified", "closed"]
ROLES = {"reporter": REPORTER, "assignee": ASSIGNEE, "other_inspector": OTHER_INSP, "supervisor": SUP_OWN,
         "other_supervisor": SUP_OTHER, "admin": ADMIN}


def _expected(action, role, state):
    who = workflow.STEPS[action].who
    if role == "assignee" and state in ("reported", "accepted"):
        return 404  # not theirs until assigned
    if role in ("supervisor", "admin"):
        return "ok" if workflow.MANAGER in who else 403  # the assignee's own steps (退回, 申请) are not theirs
    if role == "assignee" and workflow.ASSIGNEE in who:
        return "ok"
    if role == "reporter" and workflow.RECHECKER in who:
        return "ok"  # the reporter re-checks by default
    if role in ("reporter", "assignee"):
        return 403  # they see the case, but this step is not theirs
    return 404  # nor may they see it


def _payload(api, action, phone):
    county = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "610112"))
    return {"refuse": {"refusal": "invalid", "note": "不属实"}, "assign": {"assignee_id": _user(ASSIGNEE).id},
            "rectify": {"photo_uuids": [photo(api, phone)]}, "recheck_pass": on_site(),
            "recheck_fail": {"note": "仍有垃圾", **on_site()}, "reopen": {"note": "复查"},
            "return": {"note": "不属本人职责"}, "request_extension": {"working_days": 2, "note": "需协调"},
            "request_transfer": {"assignee_unit_id": county, "note": "应由区里处理"},
            "refuse_extension": {"note": "期限内可完成"}, "refuse_transfer": {"note": "仍由本人处理"}}.get(action, {})


def _asked(api, no, action):
    """An answer needs the request it answers: the assignee asks first."""
    if action in workflow.ANSWERS:
        ask = "request_" + workflow.ANSWERS[action]
        step(api, ASSIGNEE, no, ask, **_payload(api, ask, ASSIGNEE))
    return no


@pytest.mark.parametrize("action", list(workflow.STEPS))
def test_every_step_against_every_role(engine_name, api, action, demo_other_county):
    state = workflow.STEPS[action].sources[0]
    for role, phone in ROLES.items():
        no = _asked(api, bring_to(api, state), action)
        want = _expected(action, role, state)
        r = api.post(f"/api/v1/cases/{no}/transitions", token=api.token(phone),
                     json={"action": action, **_payload(api, action, phone)})
        if want == "ok":
            assert r.status_code == 201 and r.json()["applied"], (role, r.text)
        else:
            assert r.status_code == want, (role, r.text)
            assert r.json()["code"] == ("case.forbidden_transition" if want == 403 else "not_found")
            assert case(api, no)["status"] == state  # nothing moved
    no = _asked(api, bring_to(api, state), action)
    r = api.post(f"/api/v1/cases/{no}/transitions", token=api.token(ADMIN_OTHER),
                 json={"action": action, **_payload(api, action, ADMIN_OTHER)})
    assert r.status_code == 404


def test_every_step_from_every_state_it_is_not_allowed_from(engine_name, api):
    cases = {state: bring_to(api, state) for state in STATES}
    for action, spec in workflow.STEPS.items():
        # the assignee's own steps are tried by the assignee, who sees the case once it was assigned to them
        by = SUP_OWN if workflow.MANAGER in spec.who else ASSIGNEE
        for state, no in cases.items():
            if state in spec.sources:
                continue
            r = api.post(f"/api/v1/cases/{no}/transitions", token=api.token(by),
                         json={"action": action, **_payload(api, action, by)})
            if by == ASSIGNEE and state in ("reported", "accepted", "refused"):
                assert r.status_code == 404, (action, state, r.text)
                continue
            assert r.status_code == 409 and r.json()["code"] == "case.bad_transition", (action, state, r.text)
            assert r.json()["case_status"] == state
    assert {s: case(api, no)["status"] for s, no in cases.items()} == {s: s for s in STATES}


def test_deadlines_count_working_days_across_weekends_and_holidays(engine_name, api):
    """National Day as a county would enter it: 1-8 October off, Sunday 27 September and Saturday
    10 October worked (调休)."""
    county = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "610112"))
    for day, kind in [*((f"2026-10-0{d}", "holiday") for d in range(1, 9)), ("2026-09-27", "workday"),
                      ("2026-10-10", "workday")]:
        r = api.post("/api/v1/calendar", token=api.token(ADMIN),
                     json={"org_unit_id": county, "day": day, "kind": kind, "name": "国庆节"})
        assert r.status_code == 201, r.text
    path = "/610112/610112010/"
    assert add_working_days(dt.date(2026, 9, 25), 3, path) == dt.date(2026, 9, 29)  # Fri: Sun (worked), Mon, Tue
    assert add_working_days(dt.date(2026, 9, 30), 3, path) == dt.date(2026, 10, 12)  # Fri 9, Sat 10 (worked), Mon 12
    assert add_working_days(dt.date(2026, 11, 20), 5, path) == dt.date(2026, 11, 27)  # an ordinary weekend
    assert working_days_between(dt.date(2026, 9, 30), dt.date(2026, 10, 12), path) == 3
    # another county's calendar is its own
    assert add_working_days(dt.date(2026, 9, 30), 3, "/610113/") == dt.date(2026, 10, 5)
    r = api.post("/api/v1/calendar", token=api.token(ADMIN), json={"org_unit_id": county, "day": "2026-10-01",
                                                                    "kind": "holiday"})
    assert r.status_code == 422 and "day" in r.json()["errors"]


def test_the_escalation_run(engine_name, api):
    """督办: one working day late the township steps in, five the county; the run is idempotent."""
    no = bring_to(api, "rectifying")
    c = db.session.scalar(select(Case).where(Case.case_no == no))
    deadline = dt.date.fromisoformat(case(api, no)["deadline"])
    path = c.grid.path

    def escalate(today):  # as the daily command does: one unit of work
        with unit_of_work():
            return workflow.escalate_overdue(today=today)

    first = escalate(deadline)
    assert first == [] and not case(api, no)["overdue"]
    day1 = add_working_days(deadline, 1, path)
    [event] = escalate(day1)
    assert (event.note, event.evidence["level"], event.evidence["overdue_working_days"]) == ("乡镇督办", 1, 1)
    assert escalate(day1) == []  # the same day again: nothing new
    seen = case(api, no)
    assert seen["overdue"] and seen["escalation_level"] == 1 and seen["status"] == "rectifying"
    [event] = escalate(add_working_days(deadline, 5, path))
    assert event.note == "县级督办" and case(api, no)["escalation_level"] == 2
    # the admin's button runs the same check for today: a case whose deadline has passed
    late = bring_to(api, "assigned")
    db.session.execute(Case.__table__.update().where(Case.case_no == late).values(
        deadline=local_today() - dt.timedelta(days=10)))
    db.session.commit()
    r = api.post("/api/v1/cases/escalate", token=api.token(ADMIN))
    assert r.status_code == 200 and [e["action"] for e in r.json()] == ["escalate"]
    assert case(api, late)["escalation_level"] >= 1
    overdue = api.get("/api/v1/cases?overdue=true", token=api.token(SUP_OWN)).json()
    assert {x["case_no"] for x in overdue} == {no, late}


def test_a_stale_offline_step_is_kept_for_review_never_dropped(engine_name, api):
    no = bring_to(api, "rectified")
    seen = case(api, no, REPORTER)["version"]  # the re-checker's phone synced this, then went offline
    step(api, SUP_OWN, no, "recheck_fail", note="仍有垃圾", **on_site())  # the supervisor was quicker
    offline = {"client_uuid": str(uuid.uuid4()), "base_version": seen,
               "at": (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat(), "note": "已清理", **on_site()}
    first = step(api, REPORTER, no, "recheck_pass", **offline)
    assert not first["applied"] and first["event"]["outcome"] == "stale"
    assert first["case"]["status"] == "rectifying" and first["case"]["needs_review"]
    again = step(api, REPORTER, no, "recheck_pass", expect=200, **offline)  # the phone retries after a cut
    assert again["event"] == first["event"]
    history = case(api, no)["events"]
    assert [e["outcome"] for e in history if e["action"] == "recheck_pass"] == ["stale"]
    review = api.get("/api/v1/cases?needs_review=true", token=api.token(SUP_OWN)).json()
    assert [x["case_no"] for x in review] == [no]
    assert api.post(f"/api/v1/cases/{no}/reviewed", token=api.token(SUP_OWN)).json()["needs_review"] is False
    # an older version that still allows the step: applied (an escalation moved the version, not the state)
    other = bring_to(api, "rectifying")
    old = case(api, other, ASSIGNEE)["version"]
    db.session.execute(Case.__table__.update().where(Case.case_no == other).values(version=old + 1))
    db.session.commit()
    done = step(api, ASSIGNEE, other, "rectify", base_version=old, client_uuid=str(uuid.uuid4()),
                photo_uuids=[photo(api, ASSIGNEE)])
    assert done["applied"] and done["case"]["status"] == "rectified"


def test_possible_duplicates_are_linked_for_the_supervisor(engine_name, api):
    first = report(api)
    near = report(api, phone=ASSIGNEE, offset_m=30)
    other_kind = report(api, category="garbage", offset_m=10)
    far = report(api, offset_m=400)
    assert case(api, near)["possible_duplicate_of"] == first
    assert case(api, other_kind)["possible_duplicate_of"] is None
    assert case(api, far)["possible_duplicate_of"] is None
    done = step(api, SUP_OWN, near, "refuse", refusal="duplicate", note="与已受理问题重复")
    assert done["case"]["status"] == "refused" and done["event"]["evidence"]["duplicate_of"] == first
    r = api.post(f"/api/v1/cases/{far}/transitions", token=api.token(SUP_OWN),
                 json={"action": "refuse", "refusal": "duplicate"})
    assert r.status_code == 422  # a refusal needs its reason


def test_categories_and_severity_by_measured_quantity(engine_name, api):
    """Severity tiers by measured quantity (domain: 1,000 and 5,000 m2 occupied; 500 m3 of sand)."""
    county = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "610112"))
    r = api.post("/api/v1/problem-categories", token=api.token(ADMIN), json={
        "org_unit_id": county, "code": "luan_zhan", "name": "乱占", "thresholds":
            {"quantity": "area_m2", "serious": 1000, "major": 5000}})
    assert r.status_code == 201 and r.json()["builtin"]
    r = api.post("/api/v1/problem-categories", token=api.token(ADMIN), json={
        "org_unit_id": county, "code": "illegal_fishing", "name": "非法捕捞", "name_en": "Illegal fishing"})
    assert r.status_code == 201
    bad = api.post("/api/v1/problem-categories", token=api.token(ADMIN), json={
        "org_unit_id": county, "code": "x_bad", "name": "坏", "thresholds": {"quantity": "area_m2", "serious": 9,
                                                                          "major": 1}})
    assert bad.status_code == 422 and "thresholds" in bad.json()["errors"]
    names = {c["code"]: c["name"] for c in api.get("/api/v1/problem-categories", token=api.token(REPORTER)).json()}
    assert names["illegal_fishing"] == "非法捕捞" and names["luan_cai"] == "乱采"
    big = report(api, category="luan_zhan", quantity=6000)
    mid = report(api, category="luan_zhan", quantity=1200, offset_m=300)
    assert (case(api, big)["severity"], case(api, mid)["severity"]) == ("major", "serious")
    step(api, SUP_OWN, big, "accept")
    assigned = step(api, SUP_OWN, big, "assign", assignee_id=_user(ASSIGNEE).id)["case"]
    assert assigned["deadline"] == add_working_days(local_today(), 3, "/610112/").isoformat()  # major: 3
    assert report(api, category="illegal_fishing", offset_m=600)
    r = api.post("/api/v1/problems", token=api.token(REPORTER), json={
        "uuid": str(uuid.uuid4()), "category": "no_such_thing", "lon": 108.9, "lat": 34.3,
        "reported_at": dt.datetime.now(dt.UTC).isoformat()})
    assert r.status_code == 422 and "category" in str(r.json()["errors"])


def test_a_supervisor_cannot_touch_another_townships_cases(engine_name, api, demo_other_county):
    no = report(api)
    assert api.get(f"/api/v1/cases/{no}", token=api.token(SUP_OTHER)).status_code == 404
    assert api.get(f"/api/v1/cases/{no}", token=api.token(ADMIN_OTHER)).status_code == 404
    assert no not in {c["case_no"] for c in api.get("/api/v1/cases", token=api.token(SUP_OTHER)).json()}
    assert no not in {c["case_no"] for c in api.get("/api/v1/cases", token=api.token(OTHER_INSP)).json()}
    assert no in {c["case_no"] for c in api.get("/api/v1/cases", token=api.token(ADMIN)).json()}
    r = api.get("/api/v1/cases/ledger", token=api.token(SUP_OTHER))
    rows = list(load_workbook(io.BytesIO(r.content))["问题台账"].iter_rows(values_only=True))
    assert no not in [row[0] for row in rows]


def test_the_month_scores_problems_closed_and_cases_overdue(engine_name, api):
    """The scoring engine reads the case events: +3 a problem one found that was closed (销号),
    -5 a case one had to fix that went overdue (督办)."""
    from server.rules.models import Plan

    db.session.execute(Plan.__table__.delete())
    db.session.commit()
    county = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "610112"))
    r = api.post("/api/v1/rules/plans", token=api.token(ADMIN), json={
        "org_unit_id": county, "kind": "scoring", "name": "问题处置考核", "valid_from": "2026-01-01",
        "definition": {"base": 80, "items": [
            {"label": "发现问题并销号", "metric": "problems_closed", "points_each": 3, "cap": 15},
            {"label": "整改超期", "metric": "cases_overdue", "points_each": -5, "cap": 20}]}})
    assert r.status_code == 201, r.text
    bring_to(api, "closed")
    late = bring_to(api, "assigned")
    db.session.execute(Case.__table__.update().where(Case.case_no == late).values(
        deadline=local_today() - dt.timedelta(days=10)))
    db.session.commit()
    api.post("/api/v1/cases/escalate", token=api.token(ADMIN))
    month = f"{local_today():%Y-%m}"
    lines = {x["phone"]: x for x in api.get(f"/api/v1/assessments/{month}", token=api.token(ADMIN)).json()["lines"]}
    assert lines[REPORTER]["metrics"]["problems_closed"] == 1 and lines[REPORTER]["score"] == 83
    assert lines[ASSIGNEE]["metrics"]["cases_overdue"] == 1 and lines[ASSIGNEE]["score"] == 75
    assert lines[ASSIGNEE]["items"][2]["why"] == "负责案件超期数 1 × -5 分"


def test_a_countys_own_case_policy(engine_name, api):
    """Deadlines, duplicate distance and escalation steps are the county's to set (a ``case`` plan)."""
    county = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "610112"))
    bad = api.post("/api/v1/rules/plans", token=api.token(ADMIN), json={
        "org_unit_id": county, "kind": "case", "name": "坏", "valid_from": "2026-01-01",
        "definition": {"deadline_days": {"general": 5}}})
    assert bad.status_code == 422 and "deadline_days" in str(bad.json()["errors"])
    r = api.post("/api/v1/rules/plans", token=api.token(ADMIN), json={
        "org_unit_id": county, "kind": "case", "name": "未央区问题处置", "valid_from": "2026-01-01",
        "definition": {"deadline_days": {"general": 7, "serious": 3, "major": 1}, "duplicate_radius_m": 500,
                       "escalation": [{"after_working_days": 2, "label": "街道督办"},
                                      {"after_working_days": 4, "label": "区河长办督办"},
                                      {"after_working_days": 8, "label": "区级约谈"}]}})
    assert r.status_code == 201, r.text
    first = report(api)
    assert case(api, report(api, offset_m=400))["possible_duplicate_of"] == first  # 500 m here
    no = bring_to(api, "assigned")
    deadline = dt.date.fromisoformat(case(api, no)["deadline"])
    path = db.session.scalar(select(Case).where(Case.case_no == no)).grid.path
    assert deadline == add_working_days(local_today(), 7, path)
    with unit_of_work():
        assert workflow.escalate_overdue(today=add_working_days(deadline, 1, path)) == []  # not yet: 2 days
        [event] = workflow.escalate_overdue(today=add_working_days(deadline, 9, path))
    assert (event.note, event.evidence["level"]) == ("区级约谈", 3)  # straight to the step reached


def test_a_case_number_already_taken_takes_more_of_the_uuid(engine_name, api):
    """The number shows 48 bits of the phone's UUID; a phone may choose one that shares them with
    another report of the day (a 500 before): the second case gets a longer number, both are kept."""
    first = uuid.uuid4()
    twin = uuid.UUID(first.hex[:12] + uuid.uuid4().hex[12:])
    before = db.session.scalar(select(func.count()).select_from(Case))
    a = report(api, uuid=str(first))
    b = report(api, phone=OTHER_INSP, uuid=str(twin), offset_m=5)
    assert a == f"W{local_today():%Y%m%d}-{first.hex[:12].upper()}"
    assert b != a and b.startswith(a) and len(b) == len(a) + 4
    assert api.get(f"/api/v1/cases/{a}", token=api.token(REPORTER)).json()["case_no"] == a
    assert api.get(f"/api/v1/cases/{b}", token=api.token(OTHER_INSP)).json()["case_no"] == b
    assert db.session.scalar(select(func.count()).select_from(Case)) == before + 2
