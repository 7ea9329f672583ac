"""Responsibility cards: scoped queries, issue, revise (new version), end. Owns its commits."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from shared_models.enums import CHIEF_DUTIES, DUTY_LABELS, DUTY_LEVELS, ORG_LEVEL_LABELS, ROLE_LABELS, Role

from ..audit import service as audit
from ..auth.models import User
from ..errors import ApiError
from ..extensions import db
from ..grids.models import OrgUnit, RiverSegment
from ..grids.scope import get_or_404, scope_path
from ..rules.book import RuleBook
from ..schemas import View
from ..transaction import after_commit
from .events import card_changed
from .models import ResponsibilityCard

_LOAD = (
    selectinload(ResponsibilityCard.segments).selectinload(RiverSegment.river),
    selectinload(ResponsibilityCard.grid),
    selectinload(ResponsibilityCard.inspector),
    selectinload(ResponsibilityCard.supervisor),
    selectinload(ResponsibilityCard.assistant),
)


def own_cards(user: User):
    """The cards the person patrols on: those they hold (their patrol duty) and the chiefs' cards naming them as
    assistant (代巡), whatever else they may see."""
    return select(ResponsibilityCard).options(*_LOAD).where(or_(
        ResponsibilityCard.inspector_id == user.id, ResponsibilityCard.assistant_id == user.id)).order_by(
        ResponsibilityCard.card_no, ResponsibilityCard.version)


def cards_in_scope(user: User):
    q = select(ResponsibilityCard).options(*_LOAD).order_by(ResponsibilityCard.card_no, ResponsibilityCard.version)
    path = scope_path(user)
    if path is None:
        return own_cards(user)
    return q.join(OrgUnit, OrgUnit.id == ResponsibilityCard.grid_id).where(
        OrgUnit.path.startswith(path, autoescape=True))


def in_force_or_upcoming(q, day: dt.date):
    """Versions in force on ``day`` or starting later (a phone offline for weeks needs both)."""
    return q.where(or_(ResponsibilityCard.valid_to.is_(None), ResponsibilityCard.valid_to >= day))


def grid_names(grid: OrgUnit) -> list[str]:
    """Names from the root down to ``grid`` (e.g. 未央区 / 草滩街道 / 草滩村)."""
    codes = grid.ancestor_codes
    names = dict(db.session.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(codes))).all())
    return [names[c] for c in codes if c in names]


def with_path_names(card: ResponsibilityCard, **extra) -> View:
    """The card as an answer shows it: with the names of its grid's path (and ``extra``)."""
    return View(card, grid_path_names=grid_names(card.grid), **extra)


class _Invalid:
    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, fld: str, msg: str) -> None:
        self.errors[fld] = msg

    def raise_if_any(self) -> None:
        if self.errors:
            raise ApiError("card.invalid", 422, errors=self.errors)


def _scope(actor: User | None) -> str:
    """The path prefix an admin may act in; the whole tree for the command line (None)."""
    return "/" if actor is None else (scope_path(actor) or "\0")


def _user_in_scope(scope: str, user_id: int | None, role: Role, fld: str, bad: _Invalid) -> User | None:
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.org_unit.path.startswith(scope):
        bad.add(fld, "用户不存在或不在您的管辖范围 / user not found in your scope")
        return None
    if not user.holds(role) or not user.active:
        bad.add(fld, f"此人须在岗并担任{ROLE_LABELS[role][0]} / user must be an active {ROLE_LABELS[role][1].lower()}")
        return None
    return user


def _duty_fits(duty: str, grid: OrgUnit | None, bad: _Invalid) -> None:
    """A chief's card is held at the level the chief is chief of (a 乡级河长 at a township)."""
    levels = DUTY_LEVELS.get(duty)
    if grid is not None and levels and grid.level not in levels:
        where = "、".join(ORG_LEVEL_LABELS.get(lv, (lv,))[0] for lv in levels)
        bad.add("duty", f"{DUTY_LABELS[duty][0]}的责任卡须在{where}网格上 / a {DUTY_LABELS[duty][1].lower()}'s card "
                        f"belongs to a grid of level {', '.join(levels)}")


def _assistant(scope: str, duty: str, holder: User | None, assistant_id: int | None, bad: _Invalid) -> User | None:
    """A chief's assistant patrols on the holder's behalf: someone else with patrol duty, on a chief's card only."""
    if assistant_id is None:
        return None
    if duty not in CHIEF_DUTIES:
        bad.add("assistant_id", "只有河长的责任卡可以指定代巡人 / only a river chief's card names an assistant")
        return None
    if holder is not None and assistant_id == holder.id:
        bad.add("assistant_id", "代巡人不能是持卡人本人 / the assistant cannot be the holder")
        return None
    return _user_in_scope(scope, assistant_id, Role.INSPECTOR, "assistant_id", bad)


def _segments(grid: OrgUnit | None, ids: list[int], bad: _Invalid) -> list[RiverSegment]:
    segs = list(db.session.scalars(select(RiverSegment).where(RiverSegment.id.in_(ids))))
    if len(segs) != len(set(ids)):
        bad.add("segment_ids", "河段不存在 / unknown segment")
    elif grid is not None and any(not s.grid.path.startswith(grid.path) for s in segs):
        bad.add("segment_ids", "河段必须位于该网格内 / segments must lie in the card's grid")
    return segs


def _next_card_no(grid: OrgUnit) -> str:
    n = db.session.scalar(select(func.count(func.distinct(ResponsibilityCard.card_no)))
                          .where(ResponsibilityCard.grid_id == grid.id)) or 0
    while True:
        n += 1
        card_no = f"{grid.code}-{n:02d}"
        if not db.session.scalar(select(ResponsibilityCard.id).where(ResponsibilityCard.card_no == card_no)):
            return card_no


def issue_card(actor: User | None, data: dict) -> ResponsibilityCard:
    """Issue version 1 of a new card. ``actor`` None means the command line / demo loader."""
    bad = _Invalid()
    scope = _scope(actor)
    grid = db.session.get(OrgUnit, data["grid_id"])
    if grid is None or not grid.path.startswith(scope):
        bad.add("grid_id", "网格不存在或不在您的管辖范围 / grid not found in your scope")
        grid = None
    inspector = _user_in_scope(scope, data["inspector_id"], Role.INSPECTOR, "inspector_id", bad)
    supervisor = _user_in_scope(scope, data.get("supervisor_id"), Role.SUPERVISOR, "supervisor_id", bad)
    duty = data.get("duty", "inspector")
    _duty_fits(duty, grid, bad)
    assistant = _assistant(scope, duty, inspector, data.get("assistant_id"), bad)
    segments = _segments(grid, data.get("segment_ids", []), bad)
    valid_to = data.get("valid_to")
    if valid_to is not None and valid_to < data["valid_from"]:
        bad.add("valid_to", "结束日期早于开始日期 / valid_to is before valid_from")
    bad.raise_if_any()
    card = ResponsibilityCard(
        card_no=_next_card_no(grid), version=1, inspector=inspector, grid=grid, supervisor=supervisor,
        duty=duty, assistant_id=assistant.id if assistant else None, segments=segments,
        duties=data.get("duties", []), frequency_summary=data.get("frequency_summary", ""),
        valid_from=data["valid_from"], valid_to=valid_to, change_reason=data.get("reason", ""),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(card)
    db.session.flush()
    _audit(actor, "card.issued", card, None, _brief(card))
    return card


def _brief(card: ResponsibilityCard) -> dict:
    assistant = db.session.get(User, card.assistant_id) if card.assistant_id else None
    return {"card_no": card.card_no, "version": card.version, "holder": card.inspector.phone, "duty": card.duty,
            "assistant": assistant.phone if assistant else None,
            "supervisor": card.supervisor.phone if card.supervisor else None, "grid": card.grid.code,
            "segments": [s.code for s in card.segments], "valid_from": card.valid_from, "valid_to": card.valid_to,
            "reason": card.change_reason}


def _audit(actor: User | None, action: str, card: ResponsibilityCard, before: dict | None, after: dict) -> None:
    audit.record(actor, action, "card", card.card_no, scope_path=card.grid.path, subject_id=card.inspector_id,
                 before=before, after=after, note=card.change_reason)


def _latest(card: ResponsibilityCard) -> None:
    newer = db.session.scalar(select(ResponsibilityCard.id).where(
        ResponsibilityCard.card_no == card.card_no, ResponsibilityCard.version > card.version))
    if newer is not None:
        raise ApiError("conflict", 409, errors={"card": "只能修改最新版本 / only the latest version can change"})


def revise_card(actor: User, card_id: int, data: dict) -> ResponsibilityCard:
    """End the current version the day before ``effective_from`` and start the next one."""
    card = get_or_404(cards_in_scope(actor), card_id)
    _latest(card)
    bad = _Invalid()
    start: dt.date = data["effective_from"]
    if start <= card.valid_from:
        bad.add("effective_from", "生效日期须晚于当前版本的开始日期 / must be after the current version's start")
    if card.valid_to is not None and start > card.valid_to:
        bad.add("effective_from", "该卡已在此日期前结束 / the card ended before this date")
    inspector = card.inspector
    if "inspector_id" in data:
        inspector = _user_in_scope(_scope(actor), data["inspector_id"], Role.INSPECTOR, "inspector_id", bad)
    assistant_id = card.assistant_id
    if "assistant_id" in data:
        found = _assistant(_scope(actor), card.duty, inspector, data["assistant_id"], bad)
        assistant_id = found.id if found else None
    elif inspector is not None and assistant_id == inspector.id:
        assistant_id = None  # the card handed to its assistant: they hold it now
    supervisor = card.supervisor
    if "supervisor_id" in data:
        supervisor = _user_in_scope(_scope(actor), data["supervisor_id"], Role.SUPERVISOR, "supervisor_id", bad)
    segments = card.segments
    if "segment_ids" in data:
        segments = _segments(card.grid, data["segment_ids"], bad)
    bad.raise_if_any()
    new = ResponsibilityCard(
        card_no=card.card_no, version=card.version + 1, inspector=inspector, grid=card.grid, duty=card.duty,
        assistant_id=assistant_id, supervisor=supervisor, segments=list(segments),
        duties=data.get("duties", card.duties),
        frequency_summary=data.get("frequency_summary", card.frequency_summary),
        valid_from=start, valid_to=card.valid_to, change_reason=data.get("reason", ""), created_by_id=actor.id,
    )
    before = _brief(card)
    card.valid_to = start - dt.timedelta(days=1)
    db.session.add(new)
    db.session.flush()
    _audit(actor, "card.revised", new, before, _brief(new))
    people = {card.inspector_id, new.inspector_id, card.assistant_id, new.assistant_id} - {None}
    after_commit(card_changed.send, card, from_day=start, people=sorted(people),
                 reason=f"责任卡变更：{new.change_reason}")
    return new


def end_card(actor: User, card_id: int, valid_to: dt.date, reason: str) -> ResponsibilityCard:
    card = get_or_404(cards_in_scope(actor), card_id)
    _latest(card)
    if valid_to < card.valid_from:
        raise ApiError("card.invalid", 422, errors={"valid_to": "结束日期早于开始日期 / valid_to is before valid_from"})
    before = _brief(card)
    card.valid_to = valid_to
    card.change_reason = reason or card.change_reason
    db.session.flush()
    _audit(actor, "card.ended", card, before, _brief(card))
    after_commit(card_changed.send, card, from_day=valid_to + dt.timedelta(days=1), people=[card.inspector_id],
                 reason=f"责任卡终止：{reason}")
    return card


def rule_text_for(card) -> str | None:
    """The frequency rule in force on the card's first day, in words."""
    from shared_models.windows import KIND_LABELS

    rule = RuleBook().rule(card.grid.path, card.grid.level, card.duty, card.valid_from)
    if rule is None:
        return None
    per = {"river": "每条河", "segment": "每个河段"}.get(rule.count_per, "")
    unit = "天" if rule.count_mode == "days" else "次"
    window = f"{rule.rolling_days}{KIND_LABELS['rolling']}" if rule.window == "rolling" else \
        f"每{KIND_LABELS[rule.window]}"
    return f"{window}{per}至少巡河 {rule.min_count} {unit}（{rule.name}）"
