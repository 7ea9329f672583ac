"""Notifications: each person's inbox, and e-mail (a real SMTP server on loopback), 企业微信 group robots and Aliyun
SMS (a local HTTP server checking their request formats), each sent once, deferred in quiet hours, retried after a
failure; preferences; who may see what (the events that write them: tests/test_notifications_events.py)."""
from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from server import jobs
from server.auth.models import User
from server.demo import DEMO_PASSWORD
from server.extensions import db
from server.notifications.inbox import Message, notify
from server.notifications.models import Delivery
from server.transaction import unit_of_work
from shared_models.clock import utcnow

from . import test_authz as authz
from .conftest import _app, _serve
from .notify_data import note_of
from .patrol_data import card_of, patrol_body, second_county, walk_on
from .services import free_port
from .test_cases import SUP_OWN, report, step

ADMIN = "13900000001"
WATER, WATER2, ENV = "13911110001", "13911110003", "13911110002"  # 区水务局 (two staff), 区生态环境分局
INSP = "13900000101"
CN = dt.timezone(dt.timedelta(hours=8))
SMS_SECRET = "test-access-key-secret"
ROBOT_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback: keeps each message; while ``failing``, answers 451 (try later)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.failing = False
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's hook)
        if self.failing:
            return "451 4.3.0 Mailbox busy, try again later"
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content,
                                                                                policy=email.policy.default)))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for rcpts, m in self.messages if address in rcpts]


class HttpSink:
    """Stands in for 企业微信's webhook and Aliyun's SMS endpoint on loopback: records each call, answers as they do
    (or with ``fail[path]``: (HTTP status, JSON body))."""

    WECOM, SMS = "/cgi-bin/webhook/send", "/sms/"

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.fail: dict[str, tuple[int, dict]] = {}
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                parts = urlsplit(self.path)
                sink.calls.append({"path": parts.path, "query": parse_qs(parts.query), "body": body,
                                   "type": self.headers.get("Content-Type", "")})
                ok = {"errcode": 0, "errmsg": "ok"} if parts.path == sink.WECOM else {
                    "Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "F655A8D5-B967"}
                status, answer = sink.fail.get(parts.path, (200, ok))
                raw = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def robot(self) -> list[dict]:
        return [{"key": c["query"]["key"], **json.loads(c["body"])} for c in self.calls if c["path"] == self.WECOM]

    def sms(self) -> list[dict]:
        return [{k: v[0] for k, v in parse_qs(c["body"].decode()).items()} for c in self.calls if c["path"] == self.SMS]


def aliyun_signed(params: dict) -> bool:
    """Aliyun's RPC signature, as its documentation gives it, over what the provider received."""
    enc = lambda s: quote(s, safe="~")  # noqa: E731
    canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()) if k != "Signature")
    digest = hmac.new(f"{SMS_SECRET}&".encode(), f"POST&%2F&{enc(canonical)}".encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode() == params["Signature"]


@pytest.fixture
def smtp():
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture
def http_sink():
    sink = HttpSink()
    sink.thread.start()
    yield sink
    sink.server.shutdown()
    sink.thread.join()
    sink.server.server_close()


@pytest.fixture
def napp(fresh_db, tmp_path, smtp, http_sink):
    """The demo county on a server whose e-mail, 企业微信 and SMS go to the local sinks."""
    yield from _app(fresh_db(demo=True), tmp_path / "photos",
                    SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_FROM="hexun@weiyang.example.gov.cn",
                    WECOM_WEBHOOK_URL=http_sink.url + HttpSink.WECOM, SMS_PROVIDER="aliyun",
                    SMS_URL=http_sink.url + HttpSink.SMS, SMS_ACCESS_KEY_ID="test-key-id",
                    SMS_ACCESS_KEY_SECRET=SMS_SECRET, SMS_SIGN_NAME="河巡", SMS_TEMPLATE_CODE="SMS_153055065",
                    NOTIFY_PUBLIC_URL="https://hexun.example.gov.cn", NOTIFY_SEND_TIMEOUT=5)


@pytest.fixture
def napi(napp):
    yield from _serve(napp)


def _departments(api) -> dict[str, int]:
    """区水务局 with two staff, 区生态环境分局 with one (their password: the demo's)."""
    admin, ids = api.token(ADMIN), {}
    for name, phones in (("区水务局", (WATER, WATER2)), ("区生态环境分局", (ENV,))):
        unit = api.post("/api/v1/departments", token=admin, json={"name": name}).json()["id"]
        for n, phone in enumerate(phones):
            r = api.post("/api/v1/users", token=admin, json={"phone": phone, "name": f"{name}联络员{n + 1}",
                                                             "role": "department", "org_unit_id": unit,
                                                             "password": DEMO_PASSWORD})
            assert r.status_code == 201, r.text
            ids[phone] = unit
    return ids


def _assigned(api, **to) -> str:
    no = report(api)
    step(api, SUP_OWN, no, "accept")
    step(api, SUP_OWN, no, "assign", **to)
    return no


def _prefs(api, phone, **body) -> dict:
    r = api.put("/api/v1/me/notification-preferences", token=api.token(phone), json=body)
    assert r.status_code == 200, r.text
    return r.json()


def _inbox(api, phone, **args) -> dict:
    r = api.get("/api/v1/me/notifications", token=api.token(phone), params=args)
    assert r.status_code == 200, r.text
    return r.json()


def _cli(app, *args) -> dict:
    out = app.test_cli_runner().invoke(args=["notifications", *args])
    assert out.exit_code == 0, out.output
    return json.loads(out.output.strip().splitlines()[-1])


def _deliveries() -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).order_by(Delivery.id)))


def _day(value: str) -> str:
    d = dt.date.fromisoformat(value)
    return f"{d.month}月{d.day}日"


def test_a_case_assigned_to_a_department_reaches_each_staff_member_once(engine_name, napp, napi, smtp, http_sink):
    units = _departments(napi)
    _prefs(napi, WATER, email="w1@water.example.gov.cn")  # SMS for a new case is on by default
    _prefs(napi, WATER2, email="w2@water.example.gov.cn", channels={"case_assigned": {"sms": False}})
    no = _assigned(napi, assignee_unit_id=units[WATER])
    deadline = napi.get(f"/api/v1/cases/{no}", token=napi.token(SUP_OWN)).json()["deadline"]
    title = f"问题 {no} 已交办给您单位，请在 {_day(deadline)} 前整改"
    for phone in (WATER, WATER2):
        seen = _inbox(napi, phone)
        assert seen["unread"] == 1 and [n["title"] for n in seen["items"]] == [title]
        item = seen["items"][0]
        assert (item["kind"], item["kind_label"], item["target_type"], item["target_id"], item["read"]) == (
            "case_assigned", "案件交办", "case", no, False)
        assert deadline in item["body"]
    assert _inbox(napi, ENV)["items"] == [] and _inbox(napi, SUP_OWN)["items"] == []  # (nor who assigned it)
    # one e-mail each; one SMS, to the staff member who kept it on
    assert [m["Subject"] for m in smtp.to("w1@water.example.gov.cn")] == [title]
    assert [m["Subject"] for m in smtp.to("w2@water.example.gov.cn")] == [title]
    mail = smtp.to("w1@water.example.gov.cn")[0]
    assert mail["From"] == "hexun@weiyang.example.gov.cn" and deadline in mail.get_content()
    [sms] = http_sink.sms()
    assert (sms["Action"], sms["Version"], sms["PhoneNumbers"], sms["SignName"], sms["TemplateCode"],
            sms["AccessKeyId"], sms["SignatureMethod"], sms["SignatureVersion"], sms["Format"]) == (
        "SendSms", "2017-05-25", WATER, "河巡", "SMS_153055065", "test-key-id", "HMAC-SHA1", "1.0", "JSON")
    assert aliyun_signed(sms) and sms["Timestamp"].endswith("Z")
    content = json.loads(sms["TemplateParam"])["content"]
    assert len(content) <= 35 and title.startswith(content.rstrip("…"))
    # the job and the retry run again: nothing is sent twice
    sent = _deliveries()
    assert sorted((d.channel, d.address, d.status, d.attempts) for d in sent) == [
        ("email", "w1@water.example.gov.cn", "sent", 1), ("email", "w2@water.example.gov.cn", "sent", 1),
        ("sms", WATER, "sent", 1)]
    with unit_of_work():
        jobs.enqueue("notifications.deliver", delivery_ids=[d.id for d in sent])
    assert _cli(napp, "retry") == {"claimed": 0}
    assert len(smtp.messages) == 2 and len(http_sink.sms()) == 1
    # read: the count goes down, for this person only
    r = napi.post(f"/api/v1/me/notifications/{_inbox(napi, WATER)['items'][0]['id']}/read", token=napi.token(WATER))
    assert r.status_code == 200 and r.json()["read"] and r.json()["read_at"]
    assert (_inbox(napi, WATER)["unread"], _inbox(napi, WATER2)["unread"]) == (0, 1)


def test_a_failed_send_is_retried_after_its_backoff_and_sent_once(engine_name, napp, napi, smtp, http_sink,
                                                                time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 9, 10, 0, tzinfo=CN))
    units = _departments(napi)
    _prefs(napi, WATER, email="w1@water.example.gov.cn", channels={"case_assigned": {"sms": False}})
    smtp.failing = True
    http_sink.fail[HttpSink.SMS] = (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控"})
    _prefs(napi, WATER2, channels={"case_assigned": {"email": False}})
    no = _assigned(napi, assignee_unit_id=units[WATER])
    assert no in _inbox(napi, WATER)["items"][0]["title"]  # the inbox has it whatever the mail server does
    mail, sms = _deliveries()
    assert (mail.status, mail.attempts, sms.status, sms.address) == ("failed", 1, "failed", WATER2)
    assert "451" in mail.last_error and "Mailbox busy" in mail.last_error
    assert "isv.BUSINESS_LIMIT_CONTROL" in sms.last_error
    assert dt.timedelta(seconds=50) < mail.next_attempt_at - utcnow() <= dt.timedelta(minutes=1)  # the first backoff
    smtp.failing = False
    http_sink.fail.clear()
    assert _cli(napp, "retry") == {"claimed": 0}  # not yet: the backoff has not passed
    assert smtp.messages == [] and len(http_sink.sms()) == 1
    time_machine.move_to(dt.datetime(2026, 12, 9, 10, 2, tzinfo=CN))
    assert _cli(napp, "retry") == {"claimed": 2, "sent": 2}
    assert _cli(napp, "retry") == {"claimed": 0}
    assert len(smtp.to("w1@water.example.gov.cn")) == 1 and len(http_sink.sms()) == 2  # (the refused one, then this)
    assert [(d.status, d.attempts, d.next_attempt_at) for d in _deliveries()] == [("sent", 2, None)] * 2


def test_two_workers_handed_the_same_delivery_send_it_once(engine_name, napp, smtp):
    """Two workers at once on one due delivery: the conditional UPDATE lets one claim it; the other finds it taken
    (it waits for the first one's claim to commit: PostgreSQL's row lock, SQLite's writer lock)."""
    from server.notifications import delivery
    from server.notifications.models import NotificationPreference

    person = db.session.scalar(select(User).where(User.phone == INSP))
    smtp.failing = True  # the first attempt fails: the delivery waits for its retry
    with unit_of_work():
        db.session.add(NotificationPreference(user_id=person.id, email="insp@example.cn",
                                              channels={"patrol_rejected": {"sms": False}}))
    with unit_of_work():
        notify([person], Message("patrol_rejected", "测试", "正文", "test:race"))
    [queued] = _deliveries()
    assert (queued.channel, queued.status) == ("email", "failed")
    with unit_of_work():
        queued.next_attempt_at = utcnow()  # due now
    smtp.failing, wanted, barrier, claimed = False, queued.id, threading.Barrier(2), []

    def worker() -> None:
        with napp.app_context():
            barrier.wait(timeout=10)
            with unit_of_work():
                claimed.append(delivery.dispatch([wanted]))
            db.session.remove()

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert sorted(claimed) == [0, 1] and len(smtp.to("insp@example.cn")) == 1
    [done] = _deliveries()
    assert (done.status, done.attempts) == ("sent", 2)
    with unit_of_work():  # sent: never claimed again, even if something made it due
        done.next_attempt_at = utcnow()
    with unit_of_work():
        assert not delivery.claim(wanted, utcnow())
    assert _cli(napp, "retry") == {"claimed": 0} and len(smtp.messages) == 1


def test_quiet_hours_defer_the_sms_and_the_inbox_has_it_at_once(engine_name, napp, napi, smtp, http_sink,
                                                               time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 9, 23, 0, tzinfo=CN))
    units = _departments(napi)
    _prefs(napi, WATER, quiet_start="22:00", quiet_end="07:00", email="w1@water.example.gov.cn")
    assert napi.get("/api/v1/me/notification-preferences", token=napi.token(WATER)).json()["quiet_start"] == "22:00"
    _prefs(napi, WATER2, channels={"case_assigned": {"email": False}})  # no quiet hours: SMS at once
    no = _assigned(napi, assignee_unit_id=units[WATER])
    assert _inbox(napi, WATER)["unread"] == 1
    assert [s["PhoneNumbers"] for s in http_sink.sms()] == [WATER2] and smtp.messages == []
    waiting = [d for d in _deliveries() if d.status == "pending"]
    assert {d.channel for d in waiting} == {"sms", "email"}
    assert {d.next_attempt_at for d in waiting} == {dt.datetime(2026, 12, 9, 23, 0, tzinfo=dt.UTC)}  # 07:00 here
    time_machine.move_to(dt.datetime(2026, 12, 10, 6, 59, tzinfo=CN))
    assert _cli(napp, "retry") == {"claimed": 0}
    time_machine.move_to(dt.datetime(2026, 12, 10, 7, 1, tzinfo=CN))
    assert _cli(napp, "retry") == {"claimed": 2, "sent": 2}
    assert [s["PhoneNumbers"] for s in http_sink.sms()] == [WATER2, WATER]
    assert no in smtp.to("w1@water.example.gov.cn")[0]["Subject"]


def test_preferences_are_checked_and_a_channel_turned_off_sends_nothing(engine_name, napi, http_sink):
    token = napi.token(INSP)
    seen = napi.get("/api/v1/me/notification-preferences", token=token).json()
    assert seen["channels"]["patrol_rejected"] == {"email": True, "sms": True} and seen["phone"] == INSP
    assert seen["available"] == {"email": True, "sms": True, "wecom": True}
    for body, field in (({"quiet_start": "22:00"}, "quiet_end"), ({"quiet_start": "25:00", "quiet_end": "07:00"},
                                                                    "quiet_start"),
                        ({"channels": {"no_such_kind": {"sms": False}}}, "channels"),
                        ({"channels": {"patrol_rejected": {"fax": True}}}, "channels"),
                        ({"email": "not-an-address"}, "email")):
        r = napi.put("/api/v1/me/notification-preferences", token=token, json=body)
        assert r.status_code == 422 and r.json()["code"] == "validation_error" and field in r.json()["errors"]["json"]
    kept = _prefs(napi, INSP, channels={"patrol_rejected": {"sms": False}})
    assert kept["channels"]["patrol_rejected"] == {"email": True, "sms": False}
    assert _prefs(napi, INSP, email="insp@example.cn")["channels"]["patrol_rejected"]["sms"] is False  # (kept)
    _reject_a_patrol(napi)
    assert _inbox(napi, INSP)["unread"] == 1 and http_sink.sms() == []


def _reject_a_patrol(api) -> str:
    card = card_of(INSP)
    r = api.post("/api/v1/patrols", token=api.token(INSP), json=patrol_body(walk_on(card), card))
    assert r.status_code == 201, r.text
    patrol = r.json()["uuid"]
    r = api.post(f"/api/v1/patrols/{patrol}/review", token=api.token(SUP_OWN),
                 json={"decision": "reject", "note": "轨迹与河段不符"})
    assert r.status_code == 200, r.text
    return patrol


# ---------------------------------------------------------------- who may see what (each route by role: the
# authorization matrices of tests/test_authz.py and tests/test_console.py)
ANON, INSP_A = authz.ANON, authz.INSP_A



@pytest.fixture
def world(api):
    """The roles of tests/test_authz.py: inspectors A and B, supervisors and admins of two counties, a department."""
    second_county()
    admin = api.token(authz.PHONES[authz.ADMIN])
    water = api.post("/api/v1/departments", token=admin, json={"name": "区水务局"}).json()
    assert api.post("/api/v1/users", token=admin, json={
        "phone": authz.PHONES[authz.DEPT], "name": "水务局联络员", "role": "department", "org_unit_id": water["id"],
        "password": DEMO_PASSWORD}).status_code == 201
    card = card_of(authz.PHONES[INSP_A])
    return {"api": api, "user_a": card.inspector_id, "township_id": card.grid.parent_id}


def test_nobody_reads_or_changes_another_persons_inbox_or_preferences(engine_name, world):
    api = world["api"]
    a, b = authz.PHONES[INSP_A], authz.PHONES[authz.INSP_B]
    mine = note_of(world["user_a"])
    _prefs(api, a, email="a@example.cn", quiet_start="21:00", quiet_end="06:30")
    theirs = api.get("/api/v1/me/notification-preferences", token=api.token(b)).json()
    assert (theirs["email"], theirs["quiet_start"], theirs["phone"]) == (None, None, b)
    assert mine not in [n["id"] for n in _inbox(api, b)["items"]]
    assert api.post(f"/api/v1/me/notifications/{mine}/read", token=api.token(b)).status_code == 404
    assert api.post("/api/v1/me/notifications/read-all", token=api.token(b)).json() == {"marked": 0, "unread": 0}
    assert _inbox(api, a)["unread"] == 1 and _inbox(api, a, unread="true")["items"][0]["id"] == mine
    assert api.get("/api/v1/me/notification-preferences", token=api.token(a)).json()["email"] == "a@example.cn"
    # a unit of another county, or none: 404 for an admin; a robot set only by the county's own admin
    other_county = db.session.scalar(select(User).where(User.phone == authz.PHONES[authz.ADMIN_OTHER])).org_unit_id
    admin = api.token(authz.PHONES[authz.ADMIN])
    assert api.get(f"/api/v1/org-units/{other_county}/notification-channel", token=admin).status_code == 404
    assert api.get("/api/v1/org-units/999999/notification-channel", token=admin).status_code == 404
    assert api.put(f"/api/v1/org-units/{world['township_id']}/notification-channel", token=admin,
                   json={"wecom_webhook": ROBOT_KEY}).json()["code"] == "notification.invalid"  # (WeCom is off here)


def test_the_inbox_pages_newest_first(engine_name, api):
    person = db.session.scalar(select(User).where(User.phone == INSP))
    with unit_of_work():
        for n in range(5):
            notify([person], Message("case_assigned", f"第 {n} 条", "", f"page:{n}"))
    first = _inbox(api, INSP, limit=2)
    assert [n["title"] for n in first["items"]] == ["第 4 条", "第 3 条"] and first["unread"] == 5
    rest = _inbox(api, INSP, limit=100, before_id=first["next_before_id"])
    assert [n["title"] for n in rest["items"]] == ["第 2 条", "第 1 条", "第 0 条"] and rest["next_before_id"] is None
    assert api.get("/api/v1/me/notifications?limit=101", token=api.token(INSP)).status_code == 422
    spec = api.get("/api/v1/openapi.json").json()
    assert "/api/v1/me/notifications" in spec["paths"] and "NotificationPage" in spec["components"]["schemas"]
