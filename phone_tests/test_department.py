"""A department's field staff on the phone: no card to patrol, told where their work is; the message of the case
assigned to their unit in 消息 (read there, and the server hears so); the case among 我的任务, rectified on site with
an after-photo and a note (整改完成), and the server has it once the outbox has synced: the case waits for its
re-check, with the staff member as the one who did it."""
from __future__ import annotations

import datetime as dt
import re
import uuid

import requests

from .conftest import DEMO_PASSWORD
from .test_layout import PHOTO, WALK
from .test_taps import _run

ADMIN, SUPERVISOR, STAFF = "13900000001", "13900000012", "13911110021"


def _api(county, method: str, path: str, who: str, **body) -> dict:
    r = requests.request(method, f"{county.base}/api/v1{path}", json=body or None, timeout=20,
                         headers={"Authorization": f"Bearer {county.token(who)}"})
    assert r.status_code in (200, 201), r.text
    return r.json()


def _assigned_to_a_department(county) -> str:
    unit = _api(county, "POST", "/departments", ADMIN, name="区城管局")
    _api(county, "POST", "/users", ADMIN, phone=STAFF, name="城管队员", role="department", org_unit_id=unit["id"],
         password=DEMO_PASSWORD)
    lat, lon = (float(v) for v in re.search(r'lat="([\d.]+)" lon="([\d.]+)"', WALK.read_text()).groups())
    # (a category no other phone test reports: they find their own cases by it in the shared county)
    case_no = _api(county, "POST", "/problems", SUPERVISOR, uuid=str(uuid.uuid4()), category="sewage_outfall",
                   lon=lon, lat=lat, description="桥下排污口冒黑水",
                   reported_at=dt.datetime.now(dt.UTC).isoformat())["case_no"]
    for action, extra in (("accept", {}), ("assign", {"assignee_unit_id": unit["id"]})):
        _api(county, "POST", f"/cases/{case_no}/transitions", SUPERVISOR, action=action, **extra)
    return case_no


def test_department_staff_rectify_on_the_phone(county, display, tmp_path):
    case_no = _assigned_to_a_department(county)
    script = [{"do": "wait_screen", "name": "login"}, {"do": "text", "id": "phone", "value": STAFF},
              {"do": "text", "id": "password", "value": DEMO_PASSWORD}, {"do": "tap", "id": "login_btn"},
              {"do": "wait_screen", "name": "home", "timeout": 60}, {"do": "wait", "seconds": 0.4},
              {"do": "check_layout", "name": "home"}, {"do": "say_all"}, {"do": "say", "id": "inbox_btn"},
              {"do": "tap", "id": "inbox_btn"}, {"do": "wait_screen", "name": "inbox"}, {"do": "wait", "seconds": 0.4},
              {"do": "check_layout", "name": "inbox"}, {"do": "say_all"}, {"do": "tap", "id": "back_btn"},
              {"do": "wait_screen", "name": "home"}, {"do": "say", "id": "inbox_btn"},
              {"do": "tap", "id": "tasks_btn"}, {"do": "wait_screen", "name": "tasks"}, {"do": "say_all"},
              {"do": "tap", "text": "去整改"}, {"do": "wait_screen", "name": "recheck"},
              {"do": "call", "method": "add_photo", "args": [str(PHOTO)]},
              {"do": "text", "id": "note", "value": "已封堵排污口"}, {"do": "wait", "seconds": 0.4},
              {"do": "check_layout", "name": "rectify"}, {"do": "tap", "id": "pass_btn"},
              {"do": "wait_screen", "name": "tasks"}, {"do": "wait_until", "what": "outbox_synced", "timeout": 60}]
    out = _run(script, county, display, tmp_path, density="2", fontscale="1.5")
    assert "交办给您单位的问题在“我的任务”里" in out and "还没有您的责任卡" not in out
    assert "桥下排污口冒黑水" in out  # the task, in the list
    layouts = {line.partition(": ")[0]: line.partition(": ")[2] for line in out.splitlines()
               if line.startswith("layout ")}
    assert layouts == {"layout home": "[]", "layout inbox": "[]", "layout rectify": "[]"}, layouts
    # the message of the case assigned to the unit, on the phone (without its number), read by opening it; the
    # server hears so at the next sync
    assert "said inbox_btn: 消息（1）" in out and "said inbox_btn: 消息\n" in out + "\n"
    assert "text: [b]● 问题 已交办给您单位" in out and case_no not in out.split("layout inbox")[1].split("said")[0]
    assert _api(county, "GET", "/me/notifications", STAFF)["unread"] == 0
    case = _api(county, "GET", f"/cases/{case_no}", SUPERVISOR)
    rectified = [e for e in case["events"] if e["action"] == "rectify"]
    assert case["status"] == "rectified" and len(rectified) == 1
    assert rectified[0]["actor"] == "城管队员" and rectified[0]["note"] == "已封堵排污口"
    assert len(rectified[0]["evidence"]["photo_uuids"]) == 1
