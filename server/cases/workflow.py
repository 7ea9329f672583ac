"""The case state machine: 上报 reported -> 受理 accepted -> 交办 assigned -> 整改 rectifying ->
rectified -> 复核 (pass: 销号 closed; fail: rectifying again); refused (duplicate or invalid);
reopen; 督办 escalation when overdue (a level on the case, not a state: the work goes on).

The assignee is a person, or a unit (a department or a township) whose staff act for it (the ``department``
capability held at that unit). The assignee may return a case to the manager (退回, with a reason: it is
accepted again, to be assigned anew), or ask for more working days (延期) or for another unit (转办); the
manager approves or refuses each request, which waits on the case (``pending``) meanwhile.

Every step, applied or not, is a ``CaseEvent``. Offline phones send the case version they saw:
a step still allowed is applied; one no longer allowed is kept as ``stale`` and the case is
marked for review; nothing is dropped.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from geoalchemy2.shape import to_shape
from pyproj import Geod
from sqlalchemy import select

from shared_models.clock import local_day, local_today, utcnow
from shared_models.enums import Role

from ..auth.models import User
from ..errors import ApiError, NotFound
from ..extensions import db
from ..grids.models import OrgUnit
from ..grids.scope import scope_path
from ..photos.models import Photo
from ..rules.book import RuleBook
from ..schemas import DB_INT_MAX, DB_INT_MIN
from ..transaction import after_commit
from .calendar import add_working_days, working_days_between
from .events import case_stepped
from .models import Case, CaseEvent

OPEN = ("reported", "accepted", "assigned", "rectifying", "rectified")
WORKING = ("assigned", "rectifying")  # the assignee's clock runs (overdue and escalation apply)
STATUS_LABELS = {"reported": "已上报", "accepted": "已受理", "refused": "不予受理", "assigned": "已交办",
                 "rectifying": "整改中", "rectified": "已整改待复核", "closed": "已销号"}
ACTION_LABELS = {"report": "上报", "accept": "受理", "refuse": "不予受理", "assign": "交办", "start": "开始整改",
                 "rectify": "整改完成", "recheck_pass": "复核通过", "recheck_fail": "复核不通过", "reopen": "重新打开",
                 "escalate": "督办", "return": "退回", "request_extension": "申请延期",
                 "approve_extension": "同意延期", "refuse_extension": "不同意延期", "request_transfer": "申请转办",
                 "approve_transfer": "同意转办", "refuse_transfer": "不同意转办"}
MANAGER, ASSIGNEE, RECHECKER = "manager", "assignee", "rechecker"


@dataclass(frozen=True)
class Step:
    sources: tuple[str, ...]
    target: str | None  # None: decided by the step (reopen)
    who: tuple[str, ...]


STEPS = {
    "accept": Step(("reported",), "accepted", (MANAGER,)),
    "refuse": Step(("reported",), "refused", (MANAGER,)),
    "assign": Step(("accepted",), "assigned", (MANAGER,)),
    "start": Step(("assigned",), "rectifying", (MANAGER, ASSIGNEE)),
    "rectify": Step(("assigned", "rectifying"), "rectified", (MANAGER, ASSIGNEE)),
    "recheck_pass": Step(("rectified",), "closed", (MANAGER, RECHECKER)),
    "recheck_fail": Step(("rectified",), "rectifying", (MANAGER, RECHECKER)),
    "reopen": Step(("closed", "refused"), None, (MANAGER,)),
    "return": Step(WORKING, "accepted", (ASSIGNEE,)),
    "request_extension": Step(WORKING, None, (ASSIGNEE,)),
    "approve_extension": Step(WORKING, None, (MANAGER,)),
    "refuse_extension": Step(WORKING, None, (MANAGER,)),
    "request_transfer": Step(WORKING, None, (ASSIGNEE,)),
    "approve_transfer": Step(WORKING, "assigned", (MANAGER,)),
    "refuse_transfer": Step(WORKING, None, (MANAGER,)),
}
# a request waits on the case until the manager decides; what each decision answers
ANSWERS = {"approve_extension": "extension", "refuse_extension": "extension", "approve_transfer": "transfer",
           "refuse_transfer": "transfer"}
MAX_EXTENSION_DAYS = 30
RECHECK_RADIUS_M = 200.0  # "on site": a re-check done from further away than this is not one
GEOD = Geod(ellps="WGS84")

DEFAULT_POLICY = {
    "deadline_days": {"general": 10, "serious": 5, "major": 3},  # working days from assignment
    "duplicate_radius_m": 50, "duplicate_days": 7,
    "escalation": [{"after_working_days": 1, "label": "乡镇督办"}, {"after_working_days": 5, "label": "县级督办"}],
}


def policy_for(grid: OrgUnit, day: dt.date) -> dict:
    """The county's case policy (a ``case`` plan), over the defaults."""
    plan = RuleBook().plan("case", grid.path, grid.level, "inspector", day)
    return {**DEFAULT_POLICY, **(plan.definition if plan else {})}


def roles_of(user: User, case: Case) -> set[str]:
    roles = set()
    path = scope_path(user)
    if path is not None and case.grid.path.startswith(path):
        roles.add(MANAGER)
    if case.assignee_id == user.id or (case.assignee_unit_id is not None and _acts_for(user, case.assignee_unit_id)):
        roles.add(ASSIGNEE)
    if case.rechecker_id == user.id:
        roles.add(RECHECKER)
    return roles


def _acts_for(user: User, unit_id: int) -> bool:
    unit = user.unit_for(Role.DEPARTMENT)
    return unit is not None and unit.id == unit_id


def can_see(user: User, case: Case) -> bool:
    return bool(roles_of(user, case)) or case.problem.reporter_id == user.id


def _county_path(grid: OrgUnit) -> str:
    """The path of the county a grid lies in (people are assigned within their county)."""
    codes = grid.ancestor_codes
    county = db.session.scalar(select(OrgUnit.path).where(OrgUnit.code.in_(codes), OrgUnit.level == "county"))
    return county or "/" + codes[0] + "/"


def _bad(**errors) -> ApiError:
    return ApiError("case.invalid", 422, errors=errors)


def _photos(user: User, uuids: list[str]) -> list[str]:
    found = set(db.session.scalars(select(Photo.uuid).where(Photo.uuid.in_(uuids), Photo.owner_id == user.id,
                                                           Photo.status.in_(("processing", "complete")))))
    missing = [u for u in uuids if u not in found]
    if missing:
        raise _bad(photo_uuids=f"照片未上传完成或不属于您：{', '.join(missing)} / photos not uploaded or not yours")
    return uuids


def _apply(case: Case, user: User | None, action: str, data: dict, roles: set[str]) -> dict:
    """Checks of the step's own data; sets the case's fields; answers the evidence to record."""
    evidence: dict = {}
    note = (data.get("note") or "").strip()
    if action == "refuse":
        if data.get("refusal") not in ("duplicate", "invalid") or not note:
            raise _bad(refusal="须注明重复或无效，并写明理由 / say duplicate or invalid, with a reason")
        evidence["refusal"] = data["refusal"]
        if data["refusal"] == "duplicate" and case.possible_duplicate_of_id:
            evidence["duplicate_of"] = case.possible_duplicate_of.case_no
    elif action == "assign":
        if not data.get("assignee_id") and not data.get("assignee_unit_id"):
            raise _bad(assignee_id="须指定责任人或责任单位 / name a responsible person or unit")
        county_path = _county_path(case.grid)
        if data.get("assignee_id"):
            person = db.session.get(User, data["assignee_id"])
            if person is None or not person.active or not person.org_unit.path.startswith(county_path):
                raise _bad(assignee_id="责任人不存在或不在本县 / no such person in this county")
            case.assignee_id = person.id
        if data.get("assignee_unit_id"):
            unit = db.session.get(OrgUnit, data["assignee_unit_id"])
            if unit is None or not unit.path.startswith(county_path):
                raise _bad(assignee_unit_id="责任单位不存在或不在本县 / no such unit in this county")
            case.assignee_unit_id = unit.id
        rechecker = db.session.get(User, data.get("rechecker_id") or case.problem.reporter_id)
        if rechecker is None or not rechecker.org_unit.path.startswith(_county_path(case.grid)):
            raise _bad(rechecker_id="复核人不存在或不在本县 / no such re-checker in this county")
        case.rechecker_id = rechecker.id
        today = local_today()
        days = policy_for(case.grid, today)["deadline_days"][case.severity]
        case.assigned_on, case.deadline = today, add_working_days(today, days, case.grid.path)
        evidence.update(deadline=case.deadline.isoformat(), working_days=days)
    elif action == "rectify":
        evidence["photo_uuids"] = _photos(user, [str(u) for u in data.get("photo_uuids") or []])
        if not evidence["photo_uuids"]:
            raise _bad(photo_uuids="整改完成须附整改后照片 / rectification needs after-photos")
    elif action in ("recheck_pass", "recheck_fail"):
        if data.get("lon") is None or data.get("lat") is None:
            raise _bad(lon="复核须在现场定位 / a re-check needs the on-site location")
        where = to_shape(case.problem.location)
        lon, lat = where.x, where.y
        distance = GEOD.inv(lon, lat, data["lon"], data["lat"])[2]
        evidence["distance_m"] = round(distance, 1)
        if distance > RECHECK_RADIUS_M:
            raise _bad(lon=f"距问题位置 {distance:.0f} 米，须到现场（{RECHECK_RADIUS_M:.0f} 米内）复核 / "
                           f"{distance:.0f} m from the problem; re-check on site")
        evidence["photo_uuids"] = _photos(user, [str(u) for u in data.get("photo_uuids") or []])
        if action == "recheck_fail" and not note:
            raise _bad(note="复核不通过须写明原因 / a failed re-check needs a reason")
    elif action == "reopen" and not note:
        raise _bad(note="重新打开须写明理由 / reopening needs a reason")
    elif action in ("return", "request_extension", "request_transfer", "refuse_extension", "refuse_transfer") and \
            not note:
        raise _bad(note=f"{ACTION_LABELS[action]}须写明理由 / {action.replace('_', ' ')} needs a reason")
    if action.startswith("request_"):
        _request(case, action, data, evidence)
    elif action in ANSWERS:
        _answer(case, action, evidence)
    elif action == "return":
        evidence["returned_by"] = case.assignee_unit.name if case.assignee_unit else case.assignee.name
        case.assignee_id = case.assignee_unit_id = case.assigned_on = case.deadline = case.pending = None
        case.overdue, case.escalation_level = False, 0
    return evidence


def _request(case: Case, action: str, data: dict, evidence: dict) -> None:
    if case.pending:
        raise _bad(action=f"已有待批的{ACTION_LABELS['request_' + case.pending['kind']]}，请等待审批 / "
                          "a request is waiting for the manager")
    if action == "request_extension":
        days = data.get("working_days")
        if type(days) is not int or not 1 <= days <= MAX_EXTENSION_DAYS:
            raise _bad(working_days=f"延期天数须为 1 至 {MAX_EXTENSION_DAYS} 个工作日 / 1 to "
                                    f"{MAX_EXTENSION_DAYS} working days")
        case.pending = {"kind": "extension", "working_days": days}
    else:
        unit = db.session.get(OrgUnit, data.get("assignee_unit_id") or 0)
        if unit is None or not unit.path.startswith(_county_path(case.grid)) or unit.id == case.assignee_unit_id:
            raise _bad(assignee_unit_id="请选择本县的另一个责任单位 / name another unit in this county")
        case.pending = {"kind": "transfer", "unit_id": unit.id, "unit": unit.name}
    evidence.update(case.pending)


def _answer(case: Case, action: str, evidence: dict) -> None:
    kind = ANSWERS[action]
    if not case.pending or case.pending["kind"] != kind:
        raise _bad(action=f"没有待批的{ACTION_LABELS['request_' + kind]} / no such request is waiting")
    asked, case.pending = case.pending, None
    evidence.update(asked)
    if action == "approve_extension":  # the deadline moves on the working-day calendar
        case.deadline = add_working_days(case.deadline, asked["working_days"], case.grid.path)
        case.overdue = case.deadline < local_today()
        evidence["deadline"] = case.deadline.isoformat()
    elif action == "approve_transfer":  # the other unit starts afresh, with the full time
        today = local_today()
        days = policy_for(case.grid, today)["deadline_days"][case.severity]
        case.assignee_id, case.assignee_unit_id = None, asked["unit_id"]
        case.assigned_on, case.deadline = today, add_working_days(today, days, case.grid.path)
        case.overdue, case.escalation_level = False, 0
        evidence["deadline"] = case.deadline.isoformat()


def transition(user: User, case: Case, data: dict) -> tuple[CaseEvent, bool]:
    """Apply one step, in the caller's unit of work (``data``: action, base_version?, client_uuid?, at?,
    lon?, lat?, note?, photo_uuids?...).

    Returns the event and whether it is new (a repeated ``client_uuid`` answers with the first).
    ``data`` is loaded by ``TransitionSchema``; a number of another type or beyond the database's
    integer is refused here too (stored, it made the case unreadable)."""
    for key in ("base_version", "assignee_id", "assignee_unit_id", "rechecker_id"):
        value = data.get(key)
        if value is not None and (type(value) is not int or not DB_INT_MIN <= value <= DB_INT_MAX):
            raise _bad(**{key: "应为数据库可保存的整数 / must be a whole number the database can hold"})
    if data.get("action") not in STEPS:
        raise _bad(action="未知的操作 / unknown step")
    if data.get("client_uuid"):
        seen = db.session.scalar(select(CaseEvent).where(CaseEvent.client_uuid == str(data["client_uuid"])))
        if seen is not None:
            if seen.case_id != case.id or seen.action != data["action"] or seen.actor_id != user.id:
                raise ApiError("idempotency.conflict", 409, uuid=str(data["client_uuid"]))
            return seen, False
    action, step = data["action"], STEPS[data["action"]]
    roles = roles_of(user, case)
    if not roles & set(step.who):
        raise ApiError("case.forbidden_transition", 403, action=action, case_status=case.status)
    base = data.get("base_version") or case.version
    allowed = case.status in step.sources
    event = CaseEvent(case=case, action=action, from_status=case.status, to_status=case.status, base_version=base,
                      actor_id=user.id, client_at=data.get("at"), lon=data.get("lon"), lat=data.get("lat"),
                      note=data.get("note") or "", client_uuid=str(data["client_uuid"]) if data.get("client_uuid")
                      else None)
    db.session.add(event)  # (an error below rolls the whole step back)
    if not allowed:
        if base == case.version:  # the caller saw this state: a plain error
            raise ApiError("case.bad_transition", 409, action=action, case_status=case.status,
                           status_label=STATUS_LABELS[case.status])
        # an offline step overtaken by others: kept, the case marked for a supervisor, never dropped
        event.outcome, event.evidence = "stale", {"current_version": case.version, "current_status": case.status}
        case.needs_review = True
        db.session.flush()
        return event, True
    event.evidence = _apply(case, user, action, data, roles)
    target = step.target
    if action == "reopen":
        target = "reported" if case.status == "refused" else "assigned"
        if target == "assigned":
            days = policy_for(case.grid, local_today())["deadline_days"][case.severity]
            case.assigned_on, case.deadline = local_today(), add_working_days(local_today(), days, case.grid.path)
            case.overdue, case.escalation_level, case.closed_at = False, 0, None
            event.evidence["deadline"] = case.deadline.isoformat()
    if target is None:  # a request or its answer: the work goes on where it was
        target = case.status
    event.to_status = target
    case.status = target
    case.version += 1
    if target == "closed":
        case.closed_at = utcnow()
    _attach_photos(case, event)
    db.session.flush()
    after_commit(case_stepped.send, case, action=action, actor_id=user.id, event=event)
    return event, True


def _attach_photos(case: Case, event: CaseEvent) -> None:
    """Evidence photos become the problem's, so everyone who may see the case may see them."""
    uuids = (event.evidence or {}).get("photo_uuids") or []
    if uuids:
        for photo in db.session.scalars(select(Photo).where(Photo.uuid.in_(uuids), Photo.problem_uuid.is_(None))):
            photo.problem_uuid = case.problem.uuid


def mark_reviewed(user: User, case: Case) -> Case:
    """A manager has looked at the stale offline steps of a case."""
    if MANAGER not in roles_of(user, case):
        raise NotFound()
    case.needs_review = False
    db.session.flush()
    return case


def allowed_actions(user: User, case: Case) -> list[str]:
    """What the caller may do now: a request only while none waits, an answer only to the one waiting."""
    roles = roles_of(user, case)
    waiting = (case.pending or {}).get("kind")
    return [a for a, s in STEPS.items() if case.status in s.sources and roles & set(s.who)
            and not (a.startswith("request_") and waiting) and (a not in ANSWERS or ANSWERS[a] == waiting)]


def escalate_overdue(today: dt.date | None = None, scope_path: str = "/") -> list[CaseEvent]:
    """The daily run (督办): cases past their deadline move up the policy's escalation steps."""
    today = today or local_today()
    cases = db.session.scalars(select(Case).join(OrgUnit, OrgUnit.id == Case.grid_id).where(
        Case.status.in_(WORKING), Case.deadline < today, OrgUnit.path.startswith(scope_path, autoescape=True))
        .order_by(Case.id)).all()
    if not cases:
        return []
    events = []
    for case in cases:  # overdue cases are few; each step is its own record
        late = working_days_between(case.deadline, today, case.grid.path)
        steps = policy_for(case.grid, today)["escalation"]
        level = sum(1 for s in steps if late >= s["after_working_days"])
        case.overdue = True
        if level > case.escalation_level:
            label = steps[level - 1]["label"]
            from .notices import issue  # (the 督办单's module, with its PDF)

            notice = issue(case, level, label, late, today)
            event = CaseEvent(case=case, action="escalate", from_status=case.status, to_status=case.status,
                              base_version=case.version, actor_id=None, note=label,
                              evidence={"level": level, "overdue_working_days": late,
                                        "deadline": case.deadline.isoformat(), "notice": notice.number})
            events.append(event)
            db.session.add(event)
            case.escalation_level = level
            case.version += 1
    db.session.flush()
    return events


def local_date(instant: dt.datetime) -> dt.date:
    return local_day(instant)
