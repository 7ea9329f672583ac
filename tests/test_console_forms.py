"""Hostile console forms, posted as a browser posts them (a signed-in session, its CSRF token) to the
live server: each one is refused with a 422 and a Chinese reason on the page, and nothing is written.
Then the session cookie and the framing headers."""
import datetime as dt
import re

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.middleware.proxy_fix import ProxyFix

from server.auth.models import User
from server.cards.models import ResponsibilityCard
from server.cases.models import Case, CaseEvent
from server.extensions import db
from server.grids.models import OrgUnit
from server.rules.models import FrequencyRule

from .conftest import _serve
from .patrol_data import card_of
from .test_cases import report
from .test_console import ADMIN, CN, SUP, _session

HUGE = str(2**63)


def _post(api, who, path, /, **form):
    s, token = _session(api, who)
    return s.post(api.base + path, data={**form, "csrf_token": token}, allow_redirects=False)


def _count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _error(page: str) -> str:
    found = re.search(r'<(?:p|h1)[^>]*(?:id="error"|class="error")[^>]*>(.*?)</(?:p|h1)>', page, re.S) or \
        re.search(r"<h1>(.*?)</h1>", page, re.S)
    return found.group(1) if found else ""


def test_the_sign_in_form_has_the_apis_limits(engine_name, api):
    """A phone longer than the column was a 500 on PostGIS (the failure is counted under that phone)."""
    from server.auth.models import LoginThrottle

    attempts = _count(LoginThrottle)
    s = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(api.base + "/console/login").text).group(1)
    for phone, password, said in (("1" * 100, "x", "手机号：长度须在 3 至 20 个字之间"), (SUP, "", "密码：必填"),
                                  (SUP, "x" * 201, "密码：必填，且不超过 200 个字")):
        r = s.post(api.base + "/console/login", data={"phone": phone, "password": password, "csrf_token": token})
        assert r.status_code == 422 and said in _error(r.text), (phone[:20], _error(r.text))
    assert _count(LoginThrottle) == attempts
    r = s.post(api.base + "/console/login", data={"phone": SUP, "password": "wrong-password", "csrf_token": token})
    assert r.status_code == 401 and "/console/login" in r.url


def test_a_person_is_added_only_as_the_api_would_add_them(engine_name, api):
    """Finding 9: an empty password, a role ``superuser`` and a phone ``not-a-phone`` made an account
    that could sign in. Now each is named in Chinese and nothing is created."""
    town = db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == "610112010"))
    before = _count(User)
    r = _post(api, ADMIN, "/console/users", name="坏人", phone="not-a-phone", role="superuser",
              org_unit_id=str(town), password="")
    assert r.status_code == 422
    text = _error(r.text)
    assert "手机号：手机号应为11位" in text and "角色：须为以下之一" in text and "密码：必填" in text, text
    assert _count(User) == before
    assert api.post("/api/v1/auth/login", json={"phone": "not-a-phone", "password": "x"}).status_code == 401
    for bad, said in (({"password": "short1"}, "密码：长度须在 8 至 200 个字之间"),
                      ({"org_unit_id": HUGE}, "所属：数值超出范围"), ({"org_unit_id": "x"}, "所属：应为整数"),
                      ({"name": "  "}, "姓名：必填")):
        form = {"name": "新人", "phone": "13911112222", "role": "inspector", "org_unit_id": str(town),
                "password": "Longenough1", **bad}
        r = _post(api, ADMIN, "/console/users", **form)
        assert r.status_code == 422 and said in _error(r.text), (bad, _error(r.text))
    assert _count(User) == before
    r = _post(api, ADMIN, "/console/users", name="新人", phone="13911112222", role="inspector",
              org_unit_id=str(town), password="Longenough1")
    assert r.status_code == 302 and _count(User) == before + 1  # the same form, filled in right
    assert api.post("/api/v1/auth/login", json={"phone": "13911112222", "password": "Longenough1"}).status_code == 200


def test_a_password_reset_and_a_deactivation_are_checked_too(engine_name, api):
    person = db.session.scalar(select(User).where(User.phone == "13900000105"))
    old_hash = person.password_hash
    r = _post(api, ADMIN, f"/console/users/{person.id}/password", password="short")
    assert r.status_code == 422 and "密码" in _error(r.text)
    r = _post(api, ADMIN, f"/console/users/{person.id}/active", active="maybe")
    assert r.status_code == 422 and "状态：应为是或否" in _error(r.text)
    db.session.expire_all()
    person = db.session.get(User, person.id)
    assert person.password_hash == old_hash and person.active
    assert _post(api, ADMIN, f"/console/users/{HUGE}/password", password="long-enough-1").status_code == 404


@pytest.mark.parametrize("field,value,said", [
    ("base_version", "abc", "案件版本：应为整数"),  # finding 12: stored as text on SQLite, the case was a 500
    ("base_version", HUGE, "案件版本：数值超出范围"),
    ("assignee_id", "x", "责任人：应为整数"),
    ("action", "delete", "操作：须为以下之一"),
])
def test_a_case_step_with_bad_values_is_refused_and_the_case_still_opens(engine_name, api, field, value, said):
    no = report(api)
    r = _post(api, SUP, f"/console/cases/{no}", **{"action": "accept", field: value})
    assert r.status_code == 422 and said in _error(r.text), _error(r.text)
    case_id = db.session.scalar(select(Case.id).where(Case.case_no == no))
    assert _count(CaseEvent, CaseEvent.case_id == case_id) == 1  # only the report
    s, _ = _session(api, SUP)
    assert s.get(api.base + f"/console/cases/{no}").status_code == 200
    got = api.get(f"/api/v1/cases/{no}", token=api.token(SUP))
    assert got.status_code == 200 and got.json()["status"] == "reported"
    assert _post(api, SUP, f"/console/cases/{no}", action="accept").status_code == 302  # the honest step


def test_cards_refuse_ids_and_days_no_database_holds(engine_name, api):
    """Low findings: out-of-range ids, and an end on 9999-12-31 that was committed and then a 500."""
    card = card_of()
    cards = _count(ResponsibilityCard)
    r = _post(api, ADMIN, "/console/cards", inspector_id=HUGE, grid_id=str(card.grid_id), segment_ids=HUGE,
              valid_from="2026-11-01", duties="巡河")
    assert r.status_code == 422
    assert "巡查员：数值超出范围" in _error(r.text) and "河段第 1 项：数值超出范围" in _error(r.text)
    r = _post(api, ADMIN, "/console/cards", inspector_id=str(card.inspector_id), grid_id=str(card.grid_id),
              valid_from="2026-02-30")
    assert r.status_code == 422 and "生效日期：应为日期" in _error(r.text)
    for what, form, said in (("end", {"valid_to": "9999-12-31"}, "结束日期：日期须在 1900-01-01 至 2999-12-31 之间"),
                             ("end", {}, "结束日期：必填"),
                             ("handover", {"effective_from": "0001-01-01", "inspector_id": str(card.inspector_id)},
                              "生效日期：日期须在"),
                             ("handover", {"effective_from": "2027-01-01", "inspector_id": HUGE},
                              "巡查员：数值超出范围")):
        r = _post(api, ADMIN, f"/console/cards/{card.id}/{what}", **form)
        assert r.status_code == 422 and said in _error(r.text), (form, _error(r.text))
    db.session.expire_all()
    assert _count(ResponsibilityCard) == cards and db.session.get(ResponsibilityCard, card.id).valid_to is None
    s, _ = _session(api, ADMIN)
    assert s.get(api.base + "/console/cards").status_code == 200
    assert s.get(api.base + f"/console/cards/{HUGE}.pdf").status_code == 404


@pytest.mark.parametrize("period", ["0001-01", "9999-12", "2026-13", "2026-1x"])
def test_months_outside_the_calendar_are_a_422_on_every_page(engine_name, api, period):
    s, token = _session(api, ADMIN)
    for path in ("/console/assessment", "/console/spotcheck", "/console/assessment/payroll.csv",
                 "/console/assessment/payroll.xlsx"):
        r = s.get(api.base + path, params={"period": period})
        assert r.status_code == 422 and "月份" in _error(r.text), (path, r.status_code)
    r = s.post(api.base + "/console/assessment/lock", data={"period": period, "csrf_token": token})
    assert r.status_code == 422 and "月份" in _error(r.text)
    from server.assessment.models import AssessmentLock

    assert _count(AssessmentLock) == 0


def test_a_grid_rename_with_a_bad_id_or_name_is_refused(engine_name, api):
    grid = db.session.get(OrgUnit, card_of().grid_id)
    name = grid.name
    for form, said in (({"id": "1" * 30, "name": "新名"}, "编号：数值超出范围"),
                       ({"id": str(grid.id), "name": "名" * 101}, "名称：必填，且不超过 100 个字"),
                       ({"id": str(grid.id), "name": "新\x0b名"}, "名称：不能含控制字符"),
                       ({"id": str(grid.id), "name": "新名", "kind": "river"}, "类别：须为以下之一")):
        r = _post(api, ADMIN, "/console/grids", **{"kind": "grid", **form})
        assert r.status_code == 422 and said in _error(r.text), (form, _error(r.text))
    db.session.expire_all()
    assert db.session.get(OrgUnit, grid.id).name == name


def _county_rule() -> FrequencyRule:
    db.session.expire_all()
    return db.session.scalar(select(FrequencyRule).where(FrequencyRule.name == "村级巡查员每周巡河"))


@pytest.mark.parametrize("form,said", [
    ({"window": "rolling", "valid_from": "2026-11-11"}, "滚动天数：滚动窗口需要天数"),  # the service refuses it
    ({"window": "week", "valid_from": "2026-11-01"}, "生效日期：接替现行规则（#"),  # would rewrite assessed days
    ({"window": "week", "valid_from": "2026-11-11", "active_months": "3,x"}, "生效月份第 2 项：应为整数"),
    ({"window": "week", "valid_from": "2026-11-11", "min_count": "367"}, "次数：须在 0 至 366 之间"),
    ({"window": "week", "valid_from": "9999-12-31"}, "生效日期：日期须在"),
])
def test_a_rule_refused_on_save_leaves_the_rule_in_force(engine_name, api, time_machine, form, said):
    """Finding 10: the console ended the old rule and committed before the new one was checked; on a
    422 the township had no rule. Now nothing is written unless all of it is."""
    time_machine.move_to(dt.datetime(2026, 11, 10, 10, tzinfo=CN))
    old = _county_rule()
    assert old.valid_to is None
    rules = _count(FrequencyRule)
    r = _post(api, ADMIN, "/console/rules", **{"name": "新规则", "min_count": "2", "save": "1", **form})
    assert r.status_code == 422
    assert _county_rule().valid_to is None and _count(FrequencyRule) == rules  # the rule in force is untouched
    assert said in _error(r.text), _error(r.text)
    r = _post(api, ADMIN, "/console/rules", name="新规则", window="week", min_count="2", valid_from="2026-11-11",
              active_months="3，4,5", save="1")
    assert r.status_code == 302  # the good form: the old rule ends the day before, the new one starts
    assert _county_rule().valid_to == dt.date(2026, 11, 10) and _count(FrequencyRule) == rules + 1
    new = db.session.scalar(select(FrequencyRule).where(FrequencyRule.name == "新规则"))
    assert new.active_months == [3, 4, 5] and new.valid_from == dt.date(2026, 11, 11)


def test_the_session_cookie_is_lax_and_http_only_and_pages_cannot_be_framed(engine_name, api):
    """Finding 11, on the plain-http loopback server (a laptop): no Secure flag, or it could not sign in."""
    s = requests.Session()
    page = s.get(api.base + "/console/login")
    cookie = page.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie and "Secure" not in cookie
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    signed = s.post(api.base + "/console/login", data={"phone": SUP, "password": "Demo@2026", "csrf_token": token},
                    allow_redirects=False)
    assert signed.status_code == 302 and "SameSite=Lax" in signed.headers["Set-Cookie"]
    for r in (page, s.get(api.base + "/console/"), s.get(api.base + "/console/cases")):
        assert r.status_code == 200
        assert r.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]


@pytest.fixture
def tls_api(demo_app):
    """The server as deploy/ runs it: behind nginx terminating TLS, read through ProxyFix (server/wsgi.py)."""
    demo_app.wsgi_app = ProxyFix(demo_app.wsgi_app, x_for=1, x_proto=1)
    yield from _serve(demo_app)


def test_behind_tls_the_session_cookie_is_secure(engine_name, tls_api):
    r = requests.get(tls_api.base + "/console/login", headers={"X-Forwarded-Proto": "https"})
    cookie = r.headers["Set-Cookie"]
    assert "Secure" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert "Secure" not in requests.get(tls_api.base + "/console/login").headers["Set-Cookie"]


def test_a_review_form_is_loaded_through_the_apis_schema(engine_name, api):
    """The console's review took any decision as a 400 and any note; it now has the API's limits."""
    from server.patrols.models import Patrol

    from .test_console import _short_patrol_this_week

    flagged = _short_patrol_this_week(api)
    for form, said in (({"decision": "approve", "note": "x"}, "审核结论：须为以下之一"),
                       ({"decision": "clear", "note": "说" * 1001}, "说明：")):
        r = _post(api, SUP, f"/console/patrols/{flagged}/review", **form)
        shown = re.search(r'<p class="error" id="error">(.*?)</p>', r.text, re.S)
        assert r.status_code == 422 and shown and said in shown.group(1), (form["decision"], r.status_code)
    db.session.expire_all()
    assert db.session.scalar(select(Patrol.review_status).where(Patrol.uuid == flagged)) is None
