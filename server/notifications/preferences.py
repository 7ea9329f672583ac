"""What each person wants sent where: per kind of event and channel, quiet hours, an e-mail address.

The inbox is always written (it is the record: the phone and the console show it); e-mail and SMS follow the
person's choices over ``DEFAULTS``. E-mail goes to the address set here, SMS to the person's phone number (their
account's). Quiet hours are Asia/Shanghai times; a start after the end spans midnight (22:00-07:00).

In quiet hours the inbox has the message at once, and the person's e-mail and SMS wait for the end of them, for every
kind, 督办 included: an escalation follows working days (the daily run issues it, the unit has days to act), so
nothing is lost by waking nobody at night, and a person who wants no quiet hours sets none. A unit's group robot
(企业微信) is not a person: it has no quiet hours, so the unit hears of a 督办 at once.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app

from shared_models.clock import LOCAL_TZ

from ..auth.models import User
from ..extensions import db
from ..transaction import unit_of_work
from .models import NotificationPreference

KINDS = {
    "case_assigned": "案件交办",
    "recheck_due": "待复核",
    "case_recheck_failed": "复核不通过",
    "case_request": "退回、延期和转办申请",
    "case_answer": "申请的审批结果",
    "escalation": "督办",
    "deadline_tomorrow": "整改临期提醒",
    "patrol_rejected": "巡河被驳回",
    "window_closing": "巡河次数临期未达标",
}
CHANNELS = {"email": "电子邮件", "sms": "短信"}  # a person's own; a unit's group robot (wecom) is set per unit
# e-mail for everything (once an address is given); SMS, which costs the county, for what needs acting on soon
SMS_BY_DEFAULT = {"case_assigned", "escalation", "deadline_tomorrow", "patrol_rejected", "window_closing"}
DEFAULTS = {kind: {"email": True, "sms": kind in SMS_BY_DEFAULT} for kind in KINDS}


def of(user_id: int) -> NotificationPreference | None:
    return db.session.get(NotificationPreference, user_id)


def channels_of(pref: NotificationPreference | None) -> dict[str, dict[str, bool]]:
    """Every kind and channel, on or off: the person's choice, else the default."""
    chosen = (pref.channels if pref is not None else None) or {}
    return {kind: {ch: bool(chosen.get(kind, {}).get(ch, on)) for ch, on in DEFAULTS[kind].items()} for kind in KINDS}


def wants(pref: NotificationPreference | None, kind: str, channel: str) -> bool:
    return channels_of(pref)[kind][channel]


def available() -> dict[str, bool]:
    """The channels this server is set up to send on (an unset one is never queued)."""
    cfg = current_app.config
    return {"email": bool(cfg["SMTP_HOST"]), "sms": bool(cfg["SMS_PROVIDER"]), "wecom": bool(cfg["WECOM_WEBHOOK_URL"])}


def quiet_until(pref: NotificationPreference | None, now: dt.datetime) -> dt.datetime | None:
    """When ``now`` falls in the person's quiet hours, the instant they end (UTC); else None."""
    if pref is None or pref.quiet_start is None or pref.quiet_end is None or pref.quiet_start == pref.quiet_end:
        return None
    local = now.astimezone(LOCAL_TZ)
    t, start, end = local.time(), pref.quiet_start, pref.quiet_end
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, LOCAL_TZ).astimezone(dt.UTC)


def view(user: User) -> dict:
    pref = of(user.id)
    return {"email": pref.email if pref else None, "quiet_start": pref.quiet_start if pref else None,
            "quiet_end": pref.quiet_end if pref else None, "channels": channels_of(pref),
            "kinds": [{"kind": k, "label": v} for k, v in KINDS.items()],
            "available": available(), "phone": user.phone}


def update(user: User, data: dict) -> dict:
    """Set what the body names (what it leaves out keeps its value); ``data`` is loaded by PreferencesUpdateSchema,
    which has checked kinds, channels, times and the address."""
    with unit_of_work():
        pref = of(user.id)
        if pref is None:
            pref = NotificationPreference(user_id=user.id, channels={})
            db.session.add(pref)
        if "email" in data:
            pref.email = data["email"] or None
        if "quiet_start" in data:
            pref.quiet_start, pref.quiet_end = data["quiet_start"], data["quiet_end"]
        if data.get("channels"):
            merged = {kind: dict(chosen) for kind, chosen in (pref.channels or {}).items()}
            for kind, chosen in data["channels"].items():
                merged.setdefault(kind, {}).update(chosen)
            pref.channels = merged  # (a new dict: the JSON column sees the change)
        db.session.flush()
    return view(user)
