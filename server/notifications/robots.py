"""Each unit's 企业微信 group robot (群机器人), set by its county's administrator: only the robot's key is stored; the
address it is sent to is the server's (``WECOM_WEBHOOK_URL``), so nobody can make the server post elsewhere."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from flask import current_app
from sqlalchemy import select

from ..audit import service as audit
from ..auth.models import User
from ..errors import ApiError, NotFound
from ..extensions import db
from ..grids.models import OrgUnit
from ..grids.scope import admin_path
from ..transaction import unit_of_work
from .models import UnitChannel

KEY = re.compile(r"[A-Za-z0-9-]{8,100}")


def _unit(admin: User, unit_id: int) -> OrgUnit:
    """A unit of the admin's own county (another county's, or none: 404)."""
    path = admin_path(admin)
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.id == unit_id))
    if unit is None or path is None or not unit.path.startswith(path):
        raise NotFound()
    return unit


def key_of(unit_id: int) -> str | None:
    row = db.session.get(UnitChannel, unit_id)
    return row.wecom_key if row is not None else None


def view(unit: OrgUnit) -> dict:
    key = key_of(unit.id)
    return {"org_unit_id": unit.id, "org_unit": unit.name, "wecom": key is not None,
            "wecom_key_hint": f"…{key[-4:]}" if key else None,
            "wecom_available": bool(current_app.config["WECOM_WEBHOOK_URL"])}


def get(admin: User, unit_id: int) -> dict:
    return view(_unit(admin, unit_id))


def _key(given: str) -> str:
    """The key from what the group's robot page shows (its whole webhook address), or the key alone."""
    given = given.strip()
    if given.startswith(("http://", "https://")):
        parts = urlsplit(given)
        keys = parse_qs(parts.query).get("key") or [""]
        given = keys[0]
    if not KEY.fullmatch(given):
        raise ApiError("notification.invalid", 422, errors={"wecom_webhook": (
            "请粘贴群机器人的 Webhook 地址（含 key=）或其 key / paste the robot's webhook address (with key=) "
            "or its key")})
    return given


def put(admin: User, unit_id: int, data: dict) -> dict:
    """Set (or with null, remove) the unit's robot."""
    with unit_of_work():
        unit = _unit(admin, unit_id)
        given = data.get("wecom_webhook")
        if given and not current_app.config["WECOM_WEBHOOK_URL"]:
            raise ApiError("notification.invalid", 422, errors={"wecom_webhook": (
                "本服务器未启用企业微信（RIVERPATROL_WECOM_WEBHOOK_URL） / WeCom is not enabled on this server")})
        row = db.session.get(UnitChannel, unit.id)
        if row is None:
            row = UnitChannel(org_unit_id=unit.id)
            db.session.add(row)
        before = {"wecom": bool(row.wecom_key), "key_hint": row.wecom_key[-4:] if row.wecom_key else None}
        row.wecom_key = _key(given) if given else None
        row.updated_by_id = admin.id
        db.session.flush()
        audit.record(admin, "unit.robot_set", "grid", unit.id, scope_path=unit.path, before=before,
                     after={"wecom": bool(row.wecom_key), "key_hint": row.wecom_key[-4:] if row.wecom_key else None})
        return view(unit)
