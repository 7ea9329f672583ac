"""Rules and plans in scope, created, replaced and ended; warnings and leave."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select

from shared_models.clock import local_today

from ..audit import service as audit
from ..auth.models import User
from ..errors import ApiError, NotFound
from ..extensions import db
from ..grids.models import OrgUnit, RiverSegment, path_codes
from ..grids.scope import scope_path, under
from ..transaction import after_commit
from .events import exemption_added
from .models import Exemption, FrequencyRule, Plan, RiverWarning


def rules_in_scope(user: User, model=FrequencyRule, *, inherited: bool = False):
    """Rules set at or below the user's org unit; ``inherited`` adds those set above it (read-only to them)."""
    path = scope_path(user) or "\0"
    where = OrgUnit.path.startswith(path, autoescape=True)
    if inherited:
        where = or_(where, OrgUnit.code.in_(path_codes(path)))
    return select(model).join(OrgUnit, OrgUnit.id == model.org_unit_id).where(where).order_by(model.id)


def _unit_in_scope(actor: User | None, unit_id: int) -> OrgUnit | None:
    unit = db.session.get(OrgUnit, unit_id)
    if unit is None or (actor is not None and not unit.path.startswith(scope_path(actor))):
        return None
    return unit


def create_rule(actor: User | None, data: dict, *, model=FrequencyRule):
    """Any effective-dated rule or plan: in the actor's scope, dates in order, no overlap at one scope."""
    data, errors = _checked(actor, data, model)
    if errors:
        raise ApiError("rule.invalid", 422, errors=errors)
    return _add(actor, model(**data))


def replace_rule(actor: User, data: dict, *, model=FrequencyRule, today: dt.date | None = None):
    """The rule at ``data``'s scope (unit, role, grid level; a plan's kind) from ``data["valid_from"]`` on:
    the rules running there then end the day before, and the new one starts. Everything is checked
    before anything is written (a refused rule leaves the old one as it was), and both writes are
    one transaction."""
    ending = [old for old in same_scope(model, data) if old.valid_from < data["valid_from"]]
    data, errors = _checked(actor, data, model, ending=ending)
    end = data["valid_from"] - dt.timedelta(days=1)
    for old in ending:  # (it starts before the new one: only the day can be refused)
        if _end_refused(old, end, today):
            errors.setdefault("valid_from", f"接替现行规则（#{old.id}）的新规则最早从今天开始（已过去的考核不改写） / "
                                            "a rule taking over starts today at the earliest")
    if errors:
        raise ApiError("rule.invalid", 422, errors=errors)
    for old in ending:
        _audit(actor, "rule.ended", old, {"valid_to": old.valid_to}, {"valid_to": end}, note="由新规则接替")
        old.valid_to = end
    return _add(actor, model(**data))


def same_scope(model, data: dict, *, unit_id: int | None = None) -> list:
    """Rules at ``data``'s scope still running on or after its first day."""
    return list(db.session.scalars(select(model).where(*_at_scope(model, unit_id or data["org_unit_id"], data),
                                                       or_(model.valid_to.is_(None),
                                                           model.valid_to >= data["valid_from"]))))


def _at_scope(model, unit_id: int, data: dict) -> list:
    where = [model.org_unit_id == unit_id, model.role == data.get("role", "inspector"),
             model.grid_level.is_(None) if data.get("grid_level") is None else model.grid_level == data["grid_level"]]
    if model is Plan:
        where.append(Plan.kind == data["kind"])
    return where


def _checked(actor: User | None, data: dict, model, *, ending: list = ()) -> tuple[dict, dict]:
    """``data`` as it would be stored, and what is wrong with it (``ending``: rules it takes over from,
    which end the day before it starts and so do not count as overlapping)."""
    unit = _unit_in_scope(actor, data["org_unit_id"])
    errors = {}
    if unit is None:
        errors["org_unit_id"] = "网格不存在或不在您的管辖范围 / org unit not found in your scope"
    if data.get("valid_to") and data["valid_to"] < data["valid_from"]:
        errors["valid_to"] = "结束日期早于开始日期 / valid_to is before valid_from"
    if data.get("window") == "rolling" and not data.get("rolling_days"):
        errors["rolling_days"] = "滚动窗口需要天数 / a rolling window needs rolling_days"
    if model is Plan:
        from marshmallow import ValidationError

        from .plans import DEFINITIONS

        try:
            data = {**data, "definition": DEFINITIONS[data["kind"]]().load(data["definition"])}
        except ValidationError as exc:
            errors["definition"] = exc.messages
    if unit is not None and not errors:
        overlap = db.session.scalar(select(model.id).where(
            *_at_scope(model, unit.id, data), model.id.not_in([old.id for old in ending]),
            model.valid_from <= (data.get("valid_to") or dt.date.max),
            or_(model.valid_to.is_(None), model.valid_to >= data["valid_from"])))
        if overlap:
            errors["valid_from"] = (f"与本级已有规则（#{overlap}）的有效期重叠 / overlaps the dates of rule #{overlap} "
                                    "at this scope")
    return data, errors


def _add(actor: User | None, rule):
    db.session.add(rule)
    db.session.flush()
    _audit(actor, "rule.created", rule, None, audit.columns(rule))
    return rule


def _audit(actor: User | None, action: str, rule, before: dict | None, after: dict | None, note: str = "") -> None:
    unit = db.session.get(OrgUnit, rule.org_unit_id) if hasattr(rule, "org_unit_id") else \
        db.session.get(User, rule.user_id).org_unit  # (an exemption is a person's)
    audit.record(actor, action, "rule", f"{rule.__tablename__}:{rule.id}", scope_path=unit.path,
                 subject_id=getattr(rule, "user_id", None), before=before, after=after, note=note)


def _end_refused(rule, end: dt.date | None, today: dt.date | None = None) -> str | None:
    """Why a rule may not end on ``end`` (None: it may): never before it starts, never before yesterday
    (a month already assessed is not rewritten)."""
    if end is not None and (end < rule.valid_from or end < (today or local_today()) - dt.timedelta(days=1)):
        return "结束日期不能早于开始日期或昨天（已过去的考核不改写） / valid_to cannot precede valid_from or yesterday"
    return None


def change_rule(actor: User, model, rule_id: int, data: dict, today: dt.date | None = None):
    """Rename, or end a rule from a date on; what a rule asks is never rewritten (add a new one instead)."""
    rule = db.session.scalar(rules_in_scope(actor, model).where(model.id == rule_id))
    if rule is None:
        raise NotFound()
    before = {"name": rule.name, "valid_to": rule.valid_to}
    if "valid_to" in data:
        why = _end_refused(rule, data["valid_to"], today)
        if why:
            raise ApiError("rule.invalid", 422, errors={"valid_to": why})
        rule.valid_to = data["valid_to"]
    if data.get("name"):
        rule.name = data["name"]
    db.session.flush()
    after = {"name": rule.name, "valid_to": rule.valid_to}
    if after != before:
        ended = after["valid_to"] != before["valid_to"] and after["valid_to"] is not None
        _audit(actor, "rule.ended" if ended else "rule.changed", rule, before, after)
    return rule


def warnings_in_scope(user: User):
    return rules_in_scope(user, RiverWarning, inherited=True)


def create_warning(actor: User, data: dict) -> RiverWarning:
    unit = _unit_in_scope(actor, data["org_unit_id"])
    errors = {}
    if unit is None:
        errors["org_unit_id"] = "网格不存在或不在您的管辖范围 / org unit not found in your scope"
    if data["valid_to"] < data["valid_from"]:
        errors["valid_to"] = "结束日期早于开始日期 / valid_to is before valid_from"
    if not data.get("river_ids") and not data.get("segment_ids"):
        errors["river_ids"] = "请指定河流或河段 / name rivers or segments"
    if unit is not None:
        wanted = set(data.get("segment_ids") or [])
        found = db.session.scalar(select(func.count()).select_from(RiverSegment).where(
            RiverSegment.id.in_(wanted), RiverSegment.grid_id.in_(under(unit.path))))
        if found != len(wanted):
            errors["segment_ids"] = "河段不存在或不在该范围内 / segments not found in this scope"
        rivers = set(db.session.scalars(select(RiverSegment.river_id).where(
            RiverSegment.grid_id.in_(under(unit.path)))))
        if not set(data.get("river_ids") or []) <= rivers:
            errors["river_ids"] = "河流不存在或不在该范围内 / rivers not found in this scope"
    if errors:
        raise ApiError("rule.invalid", 422, errors=errors)
    return _add(actor, RiverWarning(**data, created_by_id=actor.id))


def exemptions_in_scope(user: User):
    path = scope_path(user)
    q = select(Exemption).join(User, User.id == Exemption.user_id)
    if path is None:
        return q.where(Exemption.user_id == user.id).order_by(Exemption.id)
    return q.where(User.org_unit_id.in_(under(path))).order_by(Exemption.id)


def create_exemption(actor: User, data: dict) -> Exemption:
    person = db.session.get(User, data["user_id"])
    if person is None or not person.org_unit.path.startswith(scope_path(actor)):
        raise NotFound()
    if data["date_to"] < data["date_from"]:
        raise ApiError("rule.invalid", 422, errors={"date_to": "结束日期早于开始日期 / date_to is before date_from"})
    exemption = Exemption(**data, created_by_id=actor.id)
    _add(actor, exemption)
    after_commit(exemption_added.send, exemption)
    return exemption
