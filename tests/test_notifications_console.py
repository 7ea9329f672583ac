"""The inbox in the web console: the signed-in person's own notifications, marked read there, the count in the menu;
each page and form by role (as tests/test_console.py checks the console's)."""
from __future__ import annotations

import re

from sqlalchemy import select

from server.auth.models import User
from server.demo import DEMO_PASSWORD
from server.extensions import db

from .patrol_data import second_county
from .test_cases import SUP_OWN, report, step
from .test_console import _session

SUP, SUP_OTHER, ADMIN, DEPT = SUP_OWN, "13900000011", "13900000001", "13911110009"
PHONES = {"sup": SUP, "sup_other": SUP_OTHER, "admin": ADMIN, "admin_other": "13900000901", "dept": DEPT}


def _uid(phone: str) -> int:
    return db.session.scalar(select(User.id).where(User.phone == phone))


def _world(api) -> dict:
    second_county()
    admin = api.token(ADMIN)
    water = api.post("/api/v1/departments", token=admin, json={"name": "区水务局"}).json()["id"]
    assert api.post("/api/v1/users", token=admin, json={"phone": DEPT, "name": "水务局联络员", "role": "department",
                                                        "org_unit_id": water, "password": DEMO_PASSWORD}).ok
    return {"water": water}


def _count(page: str) -> str | None:
    found = re.search(r'id="inbox-unread">(\d+)<', page)
    return found.group(1) if found else None


def test_a_department_reads_its_new_case_in_the_console_inbox(engine_name, api):
    w = _world(api)
    no = report(api)
    step(api, SUP, no, "accept")
    step(api, SUP, no, "assign", assignee_unit_id=w["water"])
    s, token = _session(api, DEPT)
    page = s.get(api.base + "/console/inbox").text
    assert _count(page) == "1" and f"问题 {no} 已交办给您单位" in page
    assert f'href="/console/cases/{no}"' in page  # (their case page: the department works it there)
    [note] = re.findall(r'<tr data-id="(\d+)" data-kind="case_assigned" class="unread">', page)
    assert _count(s.get(api.base + f"/console/cases/{no}").text) == "1"  # the menu shows it on every page
    r = s.post(api.base + f"/console/inbox/{note}/read", data={"csrf_token": token})
    assert r.status_code == 200 and r.url.endswith("/console/inbox")
    assert _count(r.text) is None and f'<tr data-id="{note}" data-kind="case_assigned" class="read">' in r.text
    # the supervisor who assigned it has nothing; the other department's inbox is theirs alone
    assert "没有消息" in _session(api, SUP)[0].get(api.base + "/console/inbox").text


def test_read_all_in_the_console(engine_name, api):
    w = _world(api)
    for _ in range(2):
        no = report(api)
        step(api, SUP, no, "accept")
        step(api, SUP, no, "assign", assignee_unit_id=w["water"])
    s, token = _session(api, DEPT)
    assert _count(s.get(api.base + "/console/inbox").text) == "2"
    r = s.post(api.base + "/console/inbox/read-all", data={"csrf_token": token})
    assert _count(r.text) is None and "没有未读消息" in r.text and r.text.count('class="read"') == 2
