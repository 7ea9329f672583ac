"""The events that write notifications: a rejected patrol, each step of the case loop, a 督办单 (to the unit's inbox
and its 企业微信 group robot), and the daily reminders (a deadline the next working day, a patrol window closing
unmet), each once however often it runs."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from server.auth.models import User
from server.cases.models import Case
from server.cases.workflow import escalate_overdue
from server.extensions import db
from server.transaction import unit_of_work

from . import test_notifications as base
from .patrol_data import card_of
from .test_cases import ASSIGNEE, REPORTER, SUP_OWN, _spot, step
from .test_notifications import (
    ADMIN,
    INSP,
    ROBOT_KEY,
    WATER,
    WATER2,
    _assigned,
    _cli,
    _day,
    _departments,
    _inbox,
    _prefs,
    _reject_a_patrol,
)

# the fixtures: the demo county on a server whose e-mail, 企业微信 and SMS go to local sinks
smtp, http_sink, napp, napi = base.smtp, base.http_sink, base.napp, base.napi


def test_a_rejected_patrol_tells_its_inspector(engine_name, napi, http_sink):
    patrol = _reject_a_patrol(napi)
    [told] = _inbox(napi, INSP)["items"]
    assert (told["kind"], told["title"], told["target_type"], told["target_id"]) == (
        "patrol_rejected", "您 11月20日 的巡河记录被驳回", "patrol", patrol)
    assert "轨迹与河段不符" in told["body"] and "不计入考核" in told["body"]
    assert [s["PhoneNumbers"] for s in http_sink.sms()] == [INSP]
    assert _inbox(napi, SUP_OWN)["items"] == []


def test_the_case_loop_tells_the_rechecker_the_manager_and_the_one_who_asked(engine_name, napi):
    from .photos import jpeg_with_exif, upload

    units = _departments(napi)
    no = _assigned(napi, assignee_unit_id=units[WATER])
    asked = napi.post(f"/api/v1/cases/{no}/transitions", token=napi.token(WATER), json={
        "action": "request_extension", "working_days": 3, "note": "需协调施工方清运"})
    assert asked.status_code == 201
    [ask] = _inbox(napi, SUP_OWN)["items"]  # the manager who assigned it
    assert ask["title"] == f"区水务局联络员1申请问题 {no} 延期 3 个工作日，请审批" and "需协调施工方清运" in ask["body"]
    step(napi, SUP_OWN, no, "approve_extension", note="同意")
    deadline = napi.get(f"/api/v1/cases/{no}", token=napi.token(SUP_OWN)).json()["deadline"]
    answer = _inbox(napi, WATER)["items"][0]
    assert answer["title"] == f"问题 {no} 的延期申请已同意，新的整改期限 {_day(deadline)}"
    assert [n["kind"] for n in _inbox(napi, WATER2)["items"]] == ["case_assigned"]  # (only the one who asked)
    photo = upload(napi, napi.token(WATER), jpeg_with_exif(size=(800, 600)))["uuid"]
    step(napi, WATER, no, "rectify", photo_uuids=[photo], note="已清运")
    [recheck] = _inbox(napi, REPORTER)["items"]  # the finder re-checks, by default
    assert recheck["title"] == f"问题 {no} 已整改完成，请到现场复核" and "区水务局" in recheck["body"]
    lon, lat = _spot()
    step(napi, REPORTER, no, "recheck_fail", lon=lon, lat=lat, note="仍有垃圾")
    assert _inbox(napi, WATER2)["items"][0]["title"] == f"问题 {no} 复核不通过，请继续整改"


def test_an_escalation_notice_reaches_the_units_inbox_and_its_robot_once(engine_name, napp, napi, http_sink):
    units = _departments(napi)
    admin = napi.token(ADMIN)
    r = napi.put(f"/api/v1/org-units/{units[WATER]}/notification-channel", token=admin,
                 json={"wecom_webhook": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={ROBOT_KEY}"})
    assert r.status_code == 200 and r.json()["wecom"] and r.json()["wecom_key_hint"] == "…5aaa"
    assert ROBOT_KEY not in r.text  # (the key is not shown again)
    bad = napi.put(f"/api/v1/org-units/{units[WATER]}/notification-channel", token=admin,
                   json={"wecom_webhook": "https://example.com/hook?x=1"})
    assert bad.status_code == 422 and bad.json()["code"] == "notification.invalid" and bad.json()["message"]
    for phone in (WATER, WATER2):
        _prefs(napi, phone, channels={"escalation": {"sms": False}, "case_assigned": {"sms": False}})
    no = _assigned(napi, assignee_unit_id=units[WATER])
    [assigned] = http_sink.robot()
    assert assigned["msgtype"] == "text" and assigned["key"] == [ROBOT_KEY] and no in assigned["text"]["content"]
    with unit_of_work():  # (the days are pinned: a deadline on Monday 2 November 2026)
        db.session.scalar(select(Case).where(Case.case_no == no)).deadline = dt.date(2026, 11, 2)
    for today in (dt.date(2026, 11, 5), dt.date(2026, 11, 6)):  # 3 working days late: the township's; again: nothing
        with unit_of_work():
            escalate_overdue(today=today)
    [notice] = napi.get(f"/api/v1/cases/{no}/notices", token=napi.token(WATER)).json()
    pdf = f"/api/v1/cases/{no}/notices/{notice['id']}.pdf"
    for phone in (WATER, WATER2):
        told = [n for n in _inbox(napi, phone)["items"] if n["kind"] == "escalation"]
        assert [(n["title"], n["url"]) for n in told] == [(f"督办：问题 {no} 已超期 3 个工作日（乡镇督办）", pdf)]
        assert notice["number"] in told[0]["body"]
    assert napi.get(pdf, token=napi.token(WATER)).headers["Content-Type"] == "application/pdf"
    robot = http_sink.robot()[1:]
    assert len(robot) == 1 and notice["number"] in robot[0]["text"]["content"]
    assert f"https://hexun.example.gov.cn/console/cases/{no}/notices/{notice['id']}.pdf" in robot[0]["text"]["content"]
    assert _cli(napp, "retry") == {"claimed": 0} and len(http_sink.robot()) == 2
    # the robot removed: nothing more goes to the group
    r = napi.put(f"/api/v1/org-units/{units[WATER]}/notification-channel", token=admin, json={"wecom_webhook": None})
    assert r.status_code == 200 and not r.json()["wecom"]
    # both changes are in the audit log (newest first), with the key's last characters only
    kept = napi.get("/api/v1/audit", token=admin, params={"object_type": "grid", "object_id": units[WATER]}).json()
    assert [(e["action"], e["after"]["wecom"], e["after"]["key_hint"]) for e in kept
            if e["action"] == "unit.robot_set"] == [("unit.robot_set", False, None), ("unit.robot_set", True, "5aaa")]
    assert ROBOT_KEY not in str(kept)


def test_the_daily_run_reminds_of_a_deadline_once_however_often_it_runs(engine_name, napp, napi):
    from server.cases.calendar import add_working_days

    day = dt.date(2026, 12, 11)  # a Friday: the next working day is the Monday
    assignee = db.session.scalar(select(User.id).where(User.phone == ASSIGNEE))
    due, later = _assigned(napi, assignee_id=assignee), _assigned(napi, assignee_id=assignee)
    with unit_of_work():
        for no, n in ((due, 1), (later, 2)):
            case = db.session.scalar(select(Case).where(Case.case_no == no))
            case.deadline = add_working_days(day, n, case.grid.path)
    monday = add_working_days(day, 1, "/610112/")
    first = _cli(napp, "daily", "--date", day.isoformat())
    assert first["deadline_tomorrow"] == 1 and _cli(napp, "daily", "--date", day.isoformat())["deadline_tomorrow"] == 0
    told = [n for n in _inbox(napi, ASSIGNEE)["items"] if n["kind"] == "deadline_tomorrow"]
    title = f"问题 {due} 的整改期限是 {_day(monday.isoformat())}，请抓紧整改"
    assert [(n["title"], n["target_id"]) for n in told] == [(title, due)]


def test_the_daily_run_warns_a_card_holder_whose_window_closes_unmet(engine_name, napp, napi):
    saturday = "2026-12-12"  # the demo's rule: once a week; the week ends tomorrow and nobody has patrolled
    assert _cli(napp, "daily", "--date", saturday)["window_closing"] >= 1
    assert _cli(napp, "daily", "--date", saturday)["window_closing"] == 0
    [told] = _inbox(napi, INSP)["items"]
    assert (told["kind"], told["title"], told["target_id"]) == (
        "window_closing", "本周还差 1 次巡河，12月13日 截止", card_of(INSP).card_no)
    assert _cli(napp, "daily", "--date", "2026-12-11")["window_closing"] == 0  # Friday: the week ends the day after
