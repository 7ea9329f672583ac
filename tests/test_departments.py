"""Departments in the case loop: a department's staff see the cases assigned to their unit, rectify them with
after-photos, return one with a reason, ask for more working days or for another unit; the manager decides."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from server.auth.models import User
from server.cases.calendar import add_working_days
from server.extensions import db
from server.grids.models import OrgUnit

from .photos import jpeg_with_exif, upload
from .test_cases import ASSIGNEE, REPORTER, SUP_OWN, _spot, report, step

ADMIN = "13900000001"
WATER, ENV = "13911110001", "13911110002"  # staff of 区水务局 and 区生态环境分局


def _departments(api) -> dict[str, int]:
    admin = api.token(ADMIN)
    ids = {}
    for name, phone in (("区水务局", WATER), ("区生态环境分局", ENV)):
        r = api.post("/api/v1/departments", token=admin, json={"name": name})
        assert r.status_code == 201, r.text
        ids[phone] = r.json()["id"]
        r = api.post("/api/v1/users", token=admin, json={"phone": phone, "name": f"{name}联络员", "role": "department",
                                                          "org_unit_id": ids[phone], "password": "long-enough-1"})
        assert r.status_code == 201, r.text
    return ids


def _sign_in(api, phone):
    r = api.post("/api/v1/auth/login", json={"phone": phone, "password": "long-enough-1", "device_id": "t"})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _assigned_to(api, unit_id) -> str:
    no = report(api)
    step(api, SUP_OWN, no, "accept")
    step(api, SUP_OWN, no, "assign", assignee_unit_id=unit_id)
    return no


def _case(api, token, no):
    return api.get(f"/api/v1/cases/{no}", token=token)


def test_a_department_rectifies_with_a_photo_and_the_reporter_closes_it_on_site(engine_name, api):
    units = _departments(api)
    water, env = _sign_in(api, WATER), _sign_in(api, ENV)
    assert {d["name"] for d in api.get("/api/v1/departments", token=water).json()} == {"区水务局", "区生态环境分局"}
    no = _assigned_to(api, units[WATER])
    mine = api.get("/api/v1/cases?mine=true", token=water).json()
    assert [c["case_no"] for c in mine] == [no]
    seen = _case(api, water, no).json()
    assert seen["assignee_unit"] == "区水务局" and set(seen["allowed_actions"]) == {
        "start", "rectify", "return", "request_extension", "request_transfer"}
    assert _case(api, env, no).status_code == 404  # another department: not theirs to see
    # the department's field staff find it among the phone's tasks (整改), as a named person would
    tasks = api.get("/api/v1/me/changes", token=water).json()["tasks"]
    assert [(t["kind"], t["case_no"]) for t in tasks] == [("rectify", no)]
    assert api.get("/api/v1/me/changes", token=env).json()["tasks"] == []
    r = api.post(f"/api/v1/cases/{no}/transitions", token=water, json={"action": "reopen", "note": "x"})
    assert r.status_code == 403  # a department acts as the assignee, never as the manager
    photo = upload(api, water, jpeg_with_exif(size=(800, 600)))["uuid"]
    step_by = api.post(f"/api/v1/cases/{no}/transitions", token=water,
                       json={"action": "rectify", "photo_uuids": [photo], "note": "已清运"})
    assert step_by.status_code == 201, step_by.text
    lon, lat = _spot()
    step(api, REPORTER, no, "recheck_pass", lon=lon, lat=lat)
    events = [(e["action"], e["actor"]) for e in _case(api, api.token(SUP_OWN), no).json()["events"]]
    assert [a for a, _ in events] == ["report", "accept", "assign", "rectify", "recheck_pass"]
    assert _case(api, water, no).json()["status"] == "closed"


def test_returned_by_the_department_then_reassigned(engine_name, api):
    units = _departments(api)
    water = _sign_in(api, WATER)
    no = _assigned_to(api, units[WATER])
    r = api.post(f"/api/v1/cases/{no}/transitions", token=water, json={"action": "return", "note": ""})
    assert r.status_code == 422 and "理由" in r.json()["errors"]["note"]
    r = api.post(f"/api/v1/cases/{no}/transitions", token=water,
                 json={"action": "return", "note": "不属本单位职责，应由街道处理"})
    assert r.status_code == 201, r.text
    back = _case(api, api.token(SUP_OWN), no).json()
    assert (back["status"], back["assignee_unit"], back["deadline"]) == ("accepted", None, None)
    assert back["events"][-1]["note"] == "不属本单位职责，应由街道处理"
    assert _case(api, water, no).status_code == 404
    assignee = db.session.scalar(select(User.id).where(User.phone == ASSIGNEE))
    step(api, SUP_OWN, no, "assign", assignee_id=assignee)
    assert _case(api, api.token(ASSIGNEE), no).json()["status"] == "assigned"


def test_an_extension_asked_and_approved_moves_the_deadline_on_working_days(engine_name, api):
    units = _departments(api)
    water, sup = _sign_in(api, WATER), api.token(SUP_OWN)
    no = _assigned_to(api, units[WATER])
    deadline = dt.date.fromisoformat(_case(api, sup, no).json()["deadline"])
    ask = {"action": "request_extension", "working_days": 3, "note": "需协调施工方清运"}
    assert api.post(f"/api/v1/cases/{no}/transitions", token=water, json=ask).status_code == 201
    waiting = _case(api, sup, no).json()
    assert waiting["pending"] == {"kind": "extension", "working_days": 3}
    assert {"approve_extension", "refuse_extension"} <= set(waiting["allowed_actions"])
    assert "request_extension" not in _case(api, water, no).json()["allowed_actions"]
    r = api.post(f"/api/v1/cases/{no}/transitions", token=water, json=ask)  # asked again while one waits
    assert r.status_code == 422 and "待批" in r.json()["errors"]["action"]
    step(api, SUP_OWN, no, "approve_extension", note="同意")
    grid_path = db.session.scalar(select(OrgUnit.path).where(OrgUnit.name == waiting["grid_name"]))
    after = _case(api, sup, no).json()
    assert after["deadline"] == add_working_days(deadline, 3, grid_path).isoformat() and after["pending"] is None
    # asked once more, and refused: a reason is needed, and the deadline stays
    assert api.post(f"/api/v1/cases/{no}/transitions", token=water, json={**ask, "working_days": 10}).status_code == 201
    r = api.post(f"/api/v1/cases/{no}/transitions", token=sup, json={"action": "refuse_extension", "note": ""})
    assert r.status_code == 422
    step(api, SUP_OWN, no, "refuse_extension", note="期限内可完成")
    final = _case(api, sup, no).json()
    assert final["deadline"] == after["deadline"] and final["pending"] is None


def test_a_transfer_to_another_unit_with_the_managers_approval(engine_name, api):
    units = _departments(api)
    water, env, sup = _sign_in(api, WATER), _sign_in(api, ENV), api.token(SUP_OWN)
    no = _assigned_to(api, units[WATER])
    r = api.post(f"/api/v1/cases/{no}/transitions", token=water, json={
        "action": "request_transfer", "assignee_unit_id": units[WATER], "note": "转"})
    assert r.status_code == 422 and "另一个" in r.json()["errors"]["assignee_unit_id"]
    assert api.post(f"/api/v1/cases/{no}/transitions", token=water, json={
        "action": "request_transfer", "assignee_unit_id": units[ENV],
        "note": "排污问题，属生态环境部门"}).status_code == 201
    assert _case(api, env, no).status_code == 404  # not theirs until the manager agrees
    step(api, SUP_OWN, no, "approve_transfer", note="同意转办")
    moved = _case(api, sup, no).json()
    assert (moved["status"], moved["assignee_unit"], moved["pending"]) == ("assigned", "区生态环境分局", None)
    assert _case(api, water, no).status_code == 404
    assert "start" in _case(api, env, no).json()["allowed_actions"]


def test_only_an_admin_adds_a_department_and_names_are_unique(engine_name, api):
    assert api.post("/api/v1/departments", token=api.token(SUP_OWN), json={"name": "区城管局"}).status_code == 403
    admin = api.token(ADMIN)
    assert api.post("/api/v1/departments", token=admin, json={"name": "区城管局"}).status_code == 201
    r = api.post("/api/v1/departments", token=admin, json={"name": "区城管局"})
    assert r.status_code == 422 and "同名" in r.json()["errors"]["name"]


def test_a_departments_staff_work_their_cases_in_the_console(engine_name, api, browser, tmp_path):
    from selenium.webdriver.common.by import By

    from .test_console import sign_in, wait, wait_text

    units = _departments(api)
    asked, returned = _assigned_to(api, units[WATER]), _assigned_to(api, units[WATER])
    admin = api.token(ADMIN)  # the staff's console password is the demo's, as for everyone who signs in there
    staff = db.session.scalar(select(User.id).where(User.phone == WATER))
    assert api.post(f"/api/v1/users/{staff}/password", token=admin, json={"password": "Demo@2026"}).ok
    sign_in(browser, api, WATER)
    assert browser.current_url.endswith("/console/cases")  # they start at their cases; the menu has nothing else
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "header a")] == ["问题案件", "消息 2"]
    assert {asked, returned} <= set(browser.find_element(By.CSS_SELECTOR, 'section[data-status="assigned"]')
                                    .text.split())
    # 延期: asked with a reason, waiting for the manager, approved
    browser.get(f"{api.base}/console/cases/{asked}")
    browser.find_element(By.ID, "working-days").send_keys("2")
    browser.find_element(By.ID, "note-request_extension").send_keys("需协调施工方")
    browser.find_element(By.ID, "do-request_extension").click()
    wait(browser).until(lambda d: d.find_elements(By.ID, "pending"))
    assert browser.find_element(By.ID, "pending").text == "待批：申请延期 2 个工作日"
    step(api, SUP_OWN, asked, "approve_extension", note="同意")
    # 整改完成 with the after-photo, from the department's desk
    browser.get(f"{api.base}/console/cases/{asked}")
    assert not browser.find_elements(By.ID, "pending")
    (tmp_path / "after.jpg").write_bytes(jpeg_with_exif(size=(800, 600)))
    browser.find_element(By.ID, "after-photos").send_keys(str(tmp_path / "after.jpg"))
    browser.find_element(By.ID, "do-rectify").click()
    wait_text(browser, "status", "已整改待复核")
    # 退回: with a reason, and the case is no longer theirs
    browser.get(f"{api.base}/console/cases/{returned}")
    browser.find_element(By.ID, "note-return").send_keys("不属本单位职责")
    browser.find_element(By.ID, "do-return").click()
    wait(browser).until(lambda d: d.current_url.endswith("/console/cases"))  # back to the board: it is not theirs now
    assert _case(api, api.token(SUP_OWN), returned).json()["status"] == "accepted"
    assert returned not in browser.find_element(By.TAG_NAME, "main").text
