"""The notifications listen (each after the sender's transaction has committed): case steps, 督办单 and patrol
reviews become messages to the people they concern. The senders do not know we listen.

A subscriber's failure is logged and undone on its own (a savepoint): the step that was announced stays done,
and its caller is not told of an error that is not theirs.

- 交办 assign, 同意转办 approve_transfer (to the new unit), 重新打开 reopen: the assignee person, every staff member of
  the assignee unit, the unit's group robot;
- 整改完成 rectify: the re-checker; 复核不通过 recheck_fail: the assignee person and the unit's staff;
- 退回 return, 申请延期 request_extension, 申请转办 request_transfer: the case's manager (who assigned it last, else the
  supervisors of the nearest unit over its grid); 同意/不同意 延期/转办: the one who asked;
- a 督办单 issued: the assignee person, every staff member of the unit, the unit's group robot;
- a patrol rejected: its inspector.

Nobody is told of what they did themselves.
"""
from __future__ import annotations

import logging
from functools import wraps

from sqlalchemy import select

from shared_models.enums import Role

from ..auth.models import RoleGrant, User
from ..cases.events import case_stepped, notice_issued
from ..cases.models import Case, CaseEvent
from ..cases.workflow import ANSWERS, MANAGER, roles_of
from ..extensions import db
from ..grids.models import OrgUnit
from ..patrols.events import patrol_reviewed
from ..transaction import savepoint
from . import messages
from .inbox import notify, notify_unit, staff_of

log = logging.getLogger(__name__)
ASSIGNING = ("assign", "approve_transfer", "reopen")
ASKING = ("return", "request_extension", "request_transfer")


def _safely(fn):
    @wraps(fn)
    def run(*args, **kwargs):
        try:
            with savepoint():
                fn(*args, **kwargs)
        except Exception:
            log.exception("notification not written", extra={"subscriber": fn.__name__})
    return run


def _tell_assignees(case: Case, build, actor_id: int | None) -> None:
    """The named person first (told "您"), then the unit's staff ("您单位"), then the unit's group."""
    notify([case.assignee], build(False), skip=actor_id)
    unit_msg = build(True)
    notify(staff_of(case.assignee_unit_id), unit_msg, skip=actor_id)
    notify_unit(case.assignee_unit, unit_msg)


def _latest_actor(case: Case, actions: tuple[str, ...]) -> User | None:
    actor = db.session.scalar(select(CaseEvent.actor_id).where(
        CaseEvent.case_id == case.id, CaseEvent.action.in_(actions), CaseEvent.outcome == "applied")
        .order_by(CaseEvent.id.desc()).limit(1))
    return db.session.get(User, actor) if actor is not None else None


def managers(case: Case) -> list[User]:
    """Who assigned the case last (if they still manage it), else the supervisors of the nearest unit over it."""
    assigner = _latest_actor(case, ASSIGNING)
    if assigner is not None and assigner.active and MANAGER in roles_of(assigner, case):
        return [assigner]
    codes = case.grid.ancestor_codes
    rows = db.session.execute(select(User, OrgUnit.path).join(RoleGrant, RoleGrant.user_id == User.id)
                              .join(OrgUnit, OrgUnit.id == RoleGrant.org_unit_id)
                              .where(RoleGrant.role == Role.SUPERVISOR, OrgUnit.code.in_(codes),
                                     User.active.is_(True))).all()
    if not rows:
        return []
    nearest = max(len(path) for _, path in rows)
    return [user for user, path in rows if len(path) == nearest]


@case_stepped.connect
@_safely
def case_step(case: Case, action: str, actor_id: int | None, event: CaseEvent, **_) -> None:
    if action in ASSIGNING and case.status == "assigned":
        _tell_assignees(case, lambda to_unit: messages.assigned(case, event, to_unit), actor_id)
    if action == "rectify" and case.rechecker is not None:
        notify([case.rechecker], messages.recheck_due(case, event), skip=actor_id)
    if action == "recheck_fail":
        notify([case.assignee, *staff_of(case.assignee_unit_id)], messages.recheck_failed(case, event), skip=actor_id)
    if action in ASKING:
        who = event.evidence.get("returned_by") if action == "return" else None
        actor = db.session.get(User, actor_id) if actor_id else None
        notify(managers(case), messages.request(case, event, who or (actor.name if actor else "责任单位")),
               skip=actor_id)
    if action in ANSWERS:
        notify([_latest_actor(case, (f"request_{ANSWERS[action]}",))], messages.answer(case, event), skip=actor_id)


@notice_issued.connect
@_safely
def notice(notice, **_) -> None:
    case = notice.case
    msg = messages.escalation(notice)
    notify([case.assignee, *staff_of(case.assignee_unit_id)], msg)
    notify_unit(case.assignee_unit, msg)


@patrol_reviewed.connect
@_safely
def patrol_review(patrol, decision: str, note: str, **_) -> None:
    if decision != "reject":
        return
    grid = db.session.get(OrgUnit, patrol.grid_id)
    notify([patrol.inspector], messages.patrol_rejected(patrol, grid.name if grid else "", note),
           skip=patrol.reviewed_by_id)
