"""Outbound channels behind one interface: ``Channel.send(delivery) -> Outcome``.

Each channel says what happened and whether trying again may help (a server busy or unreachable: yes; an address
refused: no). A channel never raises for a failed send; ``delivery.py`` records the outcome and retries.

- ``EmailChannel``: SMTP (smtplib), plain text in UTF-8, optionally STARTTLS or SSL and a login.
- ``WeComChannel``: a 企业微信 group robot (群机器人): ``POST {WECOM_WEBHOOK_URL}?key=<the unit's key>`` with
  ``{"msgtype": "text", "text": {"content": ...}}`` (at most 2,048 bytes); it answers ``{"errcode": 0, ...}``.
- ``AliyunSmsChannel``: 阿里云短信 ``SendSms`` (API version 2017-05-25), see its docstring.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import smtplib
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import quote

import requests
from flask import current_app

from shared_models.clock import utcnow

from .inbox import console_path
from .models import Delivery, Notification

WECOM_MAX_BYTES = 2048
SMS_PARAM_MAX = 35  # characters of one SMS template variable (the provider's limit for a notice template)


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | failed | skipped
    error: str = ""
    retry: bool = True  # (a failure) trying again later may succeed

    @classmethod
    def sent(cls) -> Outcome:
        return cls("sent")

    @classmethod
    def failed(cls, error: str, retry: bool = True) -> Outcome:
        return cls("failed", error[:500], retry)

    @classmethod
    def skipped(cls, why: str) -> Outcome:
        return cls("skipped", why, False)


class Channel:
    name = ""

    def send(self, delivery: Delivery) -> Outcome:
        raise NotImplementedError


def link(notification: Notification) -> str:
    """The notification's document as an address people can open: the console's, after the server's public
    address."""
    url = console_path(notification.url)
    if not url:
        return ""
    return current_app.config["NOTIFY_PUBLIC_URL"] + url if url.startswith("/") else url


def text_of(notification: Notification) -> str:
    return "\n".join(x for x in (notification.title, notification.body, link(notification)) if x)


def _cut_bytes(text: str, limit: int) -> str:
    raw = text.encode()
    return text if len(raw) <= limit else raw[:limit - 3].decode(errors="ignore") + "…"


class EmailChannel(Channel):
    name = "email"

    def send(self, delivery: Delivery) -> Outcome:
        cfg = current_app.config
        note = delivery.notification
        sender = cfg["SMTP_FROM"] or "riverpatrol@localhost"
        msg = EmailMessage()
        msg["Subject"] = note.title
        msg["From"] = sender
        msg["To"] = delivery.address
        msg["Date"] = format_datetime(utcnow())
        msg["Message-ID"] = make_msgid(f"notification-{note.id}", domain=sender.rpartition("@")[2] or "localhost")
        msg.set_content("\n\n".join(x for x in (note.body, link(note), "—— 河巡 RiverPatrol") if x))
        kind = smtplib.SMTP_SSL if cfg["SMTP_TLS"] == "ssl" else smtplib.SMTP
        try:
            with kind(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=cfg["NOTIFY_SEND_TIMEOUT"]) as smtp:
                if cfg["SMTP_TLS"] == "starttls":
                    smtp.starttls()
                if cfg["SMTP_USER"]:
                    smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            return Outcome.failed(f"SMTP refused the address: {exc.recipients}", retry=any(c < 500 for c in codes))
        except smtplib.SMTPResponseException as exc:
            detail = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            # 4xx: try later; 5xx: refused for good, but a login refused is the server's settings, fixed later
            return Outcome.failed(f"SMTP {exc.smtp_code} {detail}", retry=exc.smtp_code < 500 or
                                  exc.smtp_code in (530, 535))
        except (OSError, smtplib.SMTPException) as exc:
            return Outcome.failed(f"SMTP {type(exc).__name__}: {exc}")
        return Outcome.sent()


def _http_failure(resp: requests.Response) -> Outcome:
    return Outcome.failed(f"HTTP {resp.status_code}: {resp.text[:200]}",
                          retry=resp.status_code >= 500 or resp.status_code in (408, 429))


class WeComChannel(Channel):
    """A unit's group robot: the county's admin sets its key (robots.py)."""

    name = "wecom"
    RETRY_CODES = {-1, 45009, 45033}  # system busy; too many messages a minute

    def send(self, delivery: Delivery) -> Outcome:
        from .robots import key_of

        note = delivery.notification
        key = key_of(note.org_unit_id) if note.org_unit_id is not None else None
        if not key:
            return Outcome.skipped("该单位已不再设置企业微信群机器人 / the unit has no group robot now")
        body = {"msgtype": "text", "text": {"content": _cut_bytes(text_of(note), WECOM_MAX_BYTES)}}
        try:
            resp = requests.post(current_app.config["WECOM_WEBHOOK_URL"], params={"key": key}, json=body,
                                 timeout=current_app.config["NOTIFY_SEND_TIMEOUT"])
        except requests.RequestException as exc:
            return Outcome.failed(f"WeCom {type(exc).__name__}: {exc}")
        if resp.status_code != 200:
            return _http_failure(resp)
        try:
            answer = resp.json()
        except ValueError:
            return Outcome.failed(f"WeCom answered no JSON: {resp.text[:200]}")
        if answer.get("errcode") != 0:
            return Outcome.failed(f"WeCom errcode {answer.get('errcode')}: {answer.get('errmsg')}",
                                  retry=answer.get("errcode") in self.RETRY_CODES)
        return Outcome.sent()


def percent(value: str) -> str:
    """RFC 3986 encoding as Aliyun's signature wants it (space %20, * %2A, ~ kept)."""
    return quote(str(value), safe="~")


def aliyun_signature(params: dict[str, str], secret: str, method: str = "POST") -> str:
    canonical = "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent('/')}&{percent(canonical)}"
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


class AliyunSmsChannel(Channel):
    """阿里云短信 SendSms, RPC style (https://help.aliyun.com/document_detail/101414.html, signature:
    /document_detail/315526.html): ``POST {SMS_URL}`` form-encoded with the common parameters ``AccessKeyId,
    Action=SendSms, Format=JSON, RegionId, SignatureMethod=HMAC-SHA1, SignatureNonce (unique), SignatureVersion=1.0,
    Timestamp (UTC, 2026-12-10T01:02:03Z), Version=2017-05-25`` and ``PhoneNumbers, SignName, TemplateCode,
    TemplateParam`` (JSON), then ``Signature``: Base64(HMAC-SHA1(secret + "&", "POST&%2F&" + percent(the sorted,
    percent-encoded ``k=v`` pairs joined by "&"))). It answers JSON ``{"Code": "OK", "BizId", "RequestId",
    "Message"}``; another ``Code`` is the refusal (throttling and ``isp.*``: try later).

    Messages in China go out only through a template the provider approved: ours has one variable,
    ``${content}`` (the notification's title, cut to 35 characters), e.g.
    "您有一条河长制消息：${content}，请打开河巡查看。"
    """

    name = "sms"
    RETRY_CODES = {"isv.BUSINESS_LIMIT_CONTROL", "Throttling", "Throttling.User", "ServiceUnavailable",
                   "InternalError"}

    def params(self, phone: str, content: str, now: dt.datetime) -> dict[str, str]:
        cfg = current_app.config
        param = content if len(content) <= SMS_PARAM_MAX else content[:SMS_PARAM_MAX - 1] + "…"
        return {"AccessKeyId": cfg["SMS_ACCESS_KEY_ID"], "Action": "SendSms", "Format": "JSON",
                "RegionId": cfg["SMS_REGION"], "SignatureMethod": "HMAC-SHA1", "SignatureNonce": str(uuid.uuid4()),
                "SignatureVersion": "1.0", "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": "2017-05-25",
                "PhoneNumbers": phone, "SignName": cfg["SMS_SIGN_NAME"], "TemplateCode": cfg["SMS_TEMPLATE_CODE"],
                "TemplateParam": json.dumps({"content": param}, ensure_ascii=False)}

    def send(self, delivery: Delivery) -> Outcome:
        cfg = current_app.config
        params = self.params(delivery.address, delivery.notification.title, utcnow())
        params["Signature"] = aliyun_signature(params, cfg["SMS_ACCESS_KEY_SECRET"])
        try:
            resp = requests.post(cfg["SMS_URL"], data=params, timeout=cfg["NOTIFY_SEND_TIMEOUT"])
        except requests.RequestException as exc:
            return Outcome.failed(f"SMS {type(exc).__name__}: {exc}")
        try:
            answer = resp.json()
        except ValueError:
            if resp.status_code != 200:
                return _http_failure(resp)
            return Outcome.failed(f"SMS answered no JSON: {resp.text[:200]}")
        code = str(answer.get("Code", ""))
        if code == "OK":
            return Outcome.sent()
        if resp.status_code >= 500 and not code:
            return _http_failure(resp)
        return Outcome.failed(f"SMS {code or resp.status_code}: {answer.get('Message', '')}",
                              retry=code in self.RETRY_CODES or code.startswith("isp.") or resp.status_code >= 500)


def channel_for(name: str) -> Channel:
    """The channel of a delivery (SMS by the configured provider)."""
    return {"email": EmailChannel, "wecom": WeComChannel, "sms": AliyunSmsChannel}[name]()
