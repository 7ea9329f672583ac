"""Writing the audit log, in the same transaction as what it records (a change rolled back leaves no entry), and
reading it within an admin's county.

``record`` is called by the services that change things (people, roles, rules, grids and imports, cards, patrol
reviews, assessment locks and corrections) and by those that hand out a person's data (a track, a photo, an
export) when the one looking is not that person."""
from __future__ import annotations

import datetime as dt
import uuid as uuid_mod

from flask import has_request_context, request
from sqlalchemy import or_, select

from ..auth.models import User
from ..extensions import db
from ..grids.scope import admin_path
from .models import AuditEntry

ACTIONS = {
    "user.created": "新增人员", "user.password_reset": "重置密码", "user.deactivated": "停用账号",
    "user.reactivated": "启用账号", "user.roles_set": "设置角色", "user.sessions_revoked": "注销全部设备",
    "rule.created": "新建规则", "rule.changed": "修改规则", "rule.ended": "结束规则",
    "department.created": "新增责任单位", "unit.robot_set": "设置单位群机器人",
    "grid.renamed": "网格改名", "segment.renamed": "河段改名",
    "grids.imported": "导入网格", "segments.imported": "导入河段",
    "card.issued": "发放责任卡", "card.revised": "责任卡换版", "card.ended": "责任卡到期收回",
    "patrol.reviewed": "巡河审核",
    "assessment.locked": "锁定月度考核", "assessment.signed_off": "乡镇确认月度考核",
    "correction.decided": "处理考核更正", "correction.manual": "手工更正考核",
    "track.viewed": "查看轨迹", "track.exported": "下载轨迹", "photo.viewed": "查看照片",
    "payroll.exported": "导出补贴表", "annual.exported": "导出年度考核表", "ledger.exported": "导出问题台账",
}
OBJECTS = {"user": "人员", "rule": "规则", "grid": "网格", "segment": "河段", "import": "导入", "card": "责任卡",
           "patrol": "巡河", "assessment": "月度考核", "correction": "考核更正", "photo": "照片", "export": "导出"}
MAX_PAGE = 500


def plain(value):
    """Dates, times, ids and nested values as JSON can hold them."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, uuid_mod.UUID):
        return str(value)
    return value


def columns(obj) -> dict:
    """A row's plain columns (no geometry, no secret), as they are now: the ``after`` of something created."""
    skip = ("password_hash", "boundary", "geom", "geometry")
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in skip}


def record(actor: User | None, action: str, object_type: str, object_id, *, scope_path: str,
           subject_id: int | None = None, before: dict | None = None, after: dict | None = None,
           note: str = "") -> AuditEntry:
    if action not in ACTIONS or object_type not in OBJECTS:
        raise ValueError(f"unknown audit action or object: {action} {object_type}")
    entry = AuditEntry(actor_id=actor.id if actor is not None else None, action=action, object_type=object_type,
                       object_id=str(object_id), subject_id=subject_id, scope_path=scope_path,
                       before=plain(before) if before is not None else None,
                       after=plain(after) if after is not None else None, note=note or "",
                       address=(request.remote_addr or "")[:45] if has_request_context() else "")
    db.session.add(entry)
    db.session.flush()
    return entry


def viewed(actor: User, action: str, object_type: str, object_id, *, owner_id: int, scope_path: str,
           note: str = "") -> AuditEntry | None:
    """A person's data looked at or taken away by someone else (their own look is not recorded)."""
    if actor.id == owner_id:
        return None
    return record(actor, action, object_type, object_id, scope_path=scope_path, subject_id=owner_id, note=note)


def history(object_type: str, object_id, action: str) -> list[AuditEntry]:
    """One object's entries of one kind, oldest first (a patrol's review decisions)."""
    return db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id), AuditEntry.action == action)
        .order_by(AuditEntry.id)).all()


def entries_in_scope(user: User):
    """An admin reads the log of their county; nobody else reads it."""
    path = admin_path(user)
    if path is None:
        return select(AuditEntry).where(AuditEntry.id.is_(None))
    return select(AuditEntry).where(AuditEntry.scope_path.startswith(path, autoescape=True))


def search(user: User, *, object_type: str | None = None, object_id: str | None = None,
           person_id: int | None = None, action: str | None = None, before_id: int | None = None,
           limit: int = 100) -> list[AuditEntry]:
    """Newest first; ``person_id``: what the person did or what was done about them; ``before_id``: the next
    page after the last id seen."""
    q = entries_in_scope(user)
    if object_type:
        q = q.where(AuditEntry.object_type == object_type)
    if object_id:
        q = q.where(AuditEntry.object_id == str(object_id))
    if person_id is not None:
        q = q.where(or_(AuditEntry.actor_id == person_id, AuditEntry.subject_id == person_id))
    if action:
        q = q.where(AuditEntry.action == action)
    if before_id is not None:
        q = q.where(AuditEntry.id < before_id)
    return db.session.scalars(q.order_by(AuditEntry.id.desc()).limit(min(limit, MAX_PAGE))).all()
