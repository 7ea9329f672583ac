"""The case loop end to end, as a county lives it, on a server whose e-mail, 企业微信 and SMS go to real local servers:
a problem reported from the phone (over the HTTP API, as the app does) is accepted and assigned to a department in
the browser; the department's staff rectify it in the browser with an after-photo; the reporter re-checks it on
site with the phone and it is closed. A second case is returned by the department and reassigned; a third gets an
extension, runs late anyway and is escalated: its 督办单 prints with the right text, and the unit hears of it by
e-mail, SMS and its group robot, each exactly once however often the runs repeat."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pypdfium2
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from server.cases.models import Case
from server.cases.workflow import escalate_overdue
from server.extensions import db
from server.transaction import unit_of_work

from . import test_notifications as base
from .photos import jpeg_with_exif, upload
from .test_cases import ASSIGNEE, REPORTER, SUP_OWN, _spot, case, step
from .test_console import sign_in, wait, wait_text
from .test_notifications import ADMIN, ROBOT_KEY, WATER, WATER2, _cli, _departments, _prefs
from .test_roles import _uid

smtp, http_sink, napp, napi = base.smtp, base.http_sink, base.napp, base.napi


def _report_from_the_phone(api, description: str) -> str:
    """As the app sends a report: its photo first (resumable upload), then the report naming it."""
    token = api.token(REPORTER)
    photo = upload(api, token, jpeg_with_exif(size=(1200, 900)))["uuid"]
    lon, lat = _spot()
    r = api.post("/api/v1/problems", token=token, json={
        "uuid": str(uuid.uuid4()), "category": "luan_dui", "lon": lon, "lat": lat, "description": description,
        "photo_uuids": [photo], "reported_at": dt.datetime.now(dt.UTC).isoformat()})
    assert r.status_code == 201, r.text
    return r.json()["case_no"]


def _pdf_text(pdf: bytes) -> str:
    return pypdfium2.PdfDocument(pdf)[0].get_textpage().get_text_range()


def test_the_case_loop_from_report_to_closing_and_to_escalation(engine_name, napp, napi, smtp, http_sink, browser,
                                                                tmp_path):
    api = napi
    units = _departments(api)
    water = units[WATER]
    admin = api.token(ADMIN)
    assert api.put(f"/api/v1/org-units/{water}/notification-channel", token=admin, json={
        "wecom_webhook": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={ROBOT_KEY}"}).status_code == 200
    for phone, mail in ((WATER, "water1@weiyang.example.gov.cn"), (WATER2, "water2@weiyang.example.gov.cn")):
        _prefs(api, phone, email=mail)

    # 1. reported on the phone; accepted and assigned to 区水务局 by the township's supervisor, in the browser
    first = _report_from_the_phone(api, "桥下堆放建筑垃圾")
    sign_in(browser, api, SUP_OWN)
    browser.get(f"{api.base}/console/cases/{first}")
    browser.find_element(By.ID, "do-accept").click()
    wait_text(browser, "status", "已受理")
    Select(browser.find_element(By.ID, "assignee-unit")).select_by_visible_text("区水务局")
    browser.find_element(By.ID, "do-assign").click()
    wait_text(browser, "status", "已交办")
    assert case(api, first)["assignee_unit"] == "区水务局"
    # each of the unit's staff hears of it (inbox, e-mail, SMS) and the unit's group robot once
    for phone, mail in ((WATER, "water1@weiyang.example.gov.cn"), (WATER2, "water2@weiyang.example.gov.cn")):
        [told] = base._inbox(api, phone)["items"]
        assert told["title"].startswith(f"问题 {first} 已交办给您单位，请在")
        assert len(smtp.to(mail)) == 1 and first in smtp.to(mail)[0]["Subject"]
    assert sorted(s["PhoneNumbers"] for s in http_sink.sms()) == sorted([WATER, WATER2])
    assert [first in r["text"]["content"] for r in http_sink.robot()] == [True]

    # 2. the department's staff rectify it in the browser, with the after-photo
    browser.delete_all_cookies()
    sign_in(browser, api, WATER)
    browser.get(f"{api.base}/console/cases/{first}")
    (tmp_path / "after.jpg").write_bytes(jpeg_with_exif(size=(800, 600)))
    browser.find_element(By.ID, "after-photos").send_keys(str(tmp_path / "after.jpg"))
    browser.find_element(By.ID, "note-rectify").send_keys("已清运")
    browser.find_element(By.ID, "do-rectify").click()
    wait_text(browser, "status", "已整改待复核")
    # the reporter is told to re-check, and does so on site with the phone: closed (销号)
    assert base._inbox(api, REPORTER)["items"][0]["title"] == f"问题 {first} 已整改完成，请到现场复核"
    tasks = api.get("/api/v1/me/changes", token=api.token(REPORTER)).json()["tasks"]
    assert [(t["kind"], t["case_no"]) for t in tasks] == [("recheck", first)]
    lon, lat = _spot()
    step(api, REPORTER, first, "recheck_pass", lon=lon, lat=lat, note="现场已清理干净")
    closed = case(api, first)
    assert closed["status"] == "closed"
    assert [e["action"] for e in closed["events"]] == ["report", "accept", "assign", "rectify", "recheck_pass"]
    assert [e["actor"] for e in closed["events"]][3] == "区水务局联络员1"

    # 3. a second case: returned by the department with its reason, then assigned to a person
    second = _report_from_the_phone(api, "河面漂浮垃圾")
    step(api, SUP_OWN, second, "accept")
    step(api, SUP_OWN, second, "assign", assignee_unit_id=water)
    step(api, WATER, second, "return", note="属街道保洁范围，不属本单位职责")
    assert base._inbox(api, SUP_OWN)["items"][0]["kind"] == "case_request"
    step(api, SUP_OWN, second, "assign", assignee_id=_uid(ASSIGNEE))
    reassigned = case(api, second)
    assert (reassigned["status"], reassigned["assignee_id"], reassigned["assignee_unit"]) == (
        "assigned", _uid(ASSIGNEE), None)
    assert [e["action"] for e in case(api, second)["events"]][-2:] == ["return", "assign"]

    # 4. a third: an extension asked and approved (the deadline moves on working days), then it runs late
    third = _report_from_the_phone(api, "岸边违规堆放砂石")
    step(api, SUP_OWN, third, "accept")
    step(api, SUP_OWN, third, "assign", assignee_unit_id=water)
    before = dt.date.fromisoformat(case(api, third)["deadline"])
    step(api, WATER, third, "request_extension", working_days=2, note="需协调施工方清运")
    step(api, SUP_OWN, third, "approve_extension", note="同意")
    after = dt.date.fromisoformat(case(api, third)["deadline"])
    assert after > before and base._inbox(api, WATER)["items"][0]["kind"] == "case_answer"
    sent_before = (len(smtp.messages), len(http_sink.calls))
    with unit_of_work():  # (the days are pinned from here: a deadline on Monday 2 November 2026)
        db.session.scalar(select(Case).where(Case.case_no == third)).deadline = dt.date(2026, 11, 2)
    for today in (dt.date(2026, 11, 5), dt.date(2026, 11, 6)):  # 3 working days late: the township's; again
        with unit_of_work():
            escalate_overdue(today=today)
    assert _cli(napp, "retry") == {"claimed": 0}  # nothing left to send, nothing sent again
    [notice] = api.get(f"/api/v1/cases/{third}/notices", token=api.token(WATER)).json()
    text = _pdf_text(api.get(f"/api/v1/cases/{third}/notices/{notice['id']}.pdf", token=api.token(WATER)).content)
    for words in ("督 办 单", notice["number"], third, "区水务局", "2026-11-02", "已超期 3 个工作日", "乡镇督办",
                  "签收人"):
        assert words in text, words
    # the unit hears of the 督办 exactly once on every channel: each staff member's e-mail and SMS, the group robot
    mails = smtp.messages[sent_before[0]:]
    assert sorted(r for rcpts, m in mails for r in rcpts if notice["number"] in m.get_content()) == [
        "water1@weiyang.example.gov.cn", "water2@weiyang.example.gov.cn"]
    calls = http_sink.calls[sent_before[1]:]
    robot = [c for c in calls if c["path"] == http_sink.WECOM]
    assert len(robot) == 1 and notice["number"] in json.loads(robot[0]["body"])["text"]["content"]
    assert sorted(s["PhoneNumbers"] for s in http_sink.sms()[-2:]) == sorted([WATER, WATER2])
    assert len([c for c in calls if c["path"] == http_sink.SMS]) == 2
    # and the supervisor sees it among the overdue cases and in the month's 通报
    browser.delete_all_cookies()
    sign_in(browser, api, SUP_OWN)
    browser.get(f"{api.base}/console/cases/overdue?period=2026-11")
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, f'tr[data-case="{third}"]'))
    assert "区水务局" in browser.find_element(By.ID, "briefing").text
