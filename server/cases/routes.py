from flask_smorest import Blueprint

from shared_models.enums import Role

from ..auth.decorators import BEARER, current_user, login_required
from ..errors import NotFound
from ..extensions import db
from ..grids.scope import scope_path, scope_unit, under_grid
from ..idempotency import replayed_header
from ..photos.service import photos_of_problem
from ..schemas import View
from ..transaction import unit_of_work
from ..xlsx import MIME
from . import briefing, notices, reports, service, settings, workflow
from .models import Case, Problem
from .schemas import (
    CalendarDaySchema,
    CaseDetailSchema,
    CaseListArgs,
    CaseSchema,
    CategorySchema,
    EventSchema,
    LedgerArgs,
    NoticeSchema,
    OverdueBriefingArgs,
    OverdueBriefingSchema,
    OverdueCaseSchema,
    ProblemCreateSchema,
    ProblemListArgs,
    ProblemSchema,
    TransitionResultSchema,
    TransitionSchema,
)

blp = Blueprint("cases", __name__, url_prefix="/api/v1", description="问题上报与处置 Problems and their cases")


def _with_actions(case: Case) -> View:
    return View(case, allowed_actions=workflow.allowed_actions(current_user(), case))


@blp.get("/cases")
@blp.arguments(CaseListArgs, location="query")
@blp.response(200, CaseSchema(many=True))
@blp.doc(security=BEARER)
@login_required()
def list_cases(args):
    """问题案件 Cases in the caller's grids, or that they reported, must fix or re-check"""
    return [_with_actions(c) for c in service.search(current_user(), args)]


@blp.get("/cases/<string:case_no>")
@blp.response(200, CaseDetailSchema)
@blp.doc(security=BEARER)
@login_required()
def get_case(case_no):
    """案件详情 A case with every step of its history"""
    return _with_actions(service.get_case(current_user(), case_no))


@blp.post("/cases/<string:case_no>/transitions")
@blp.arguments(TransitionSchema)
@blp.response(201, TransitionResultSchema)
@blp.doc(security=BEARER)
@login_required()
def transition(data, case_no):
    """案件流转 One step (accept, refuse, assign, start, rectify, recheck_pass/fail, reopen); offline steps
    carry base_version: still allowed, applied; overtaken, kept as stale and the case marked for review"""
    user = current_user()
    with unit_of_work():
        case = service.get_case(user, case_no)
        event, created = workflow.transition(user, case, data)
    return ({"applied": event.outcome == "applied", "event": event, "case": _with_actions(case)},
            201 if created else 200, {"Idempotent-Replayed": "false" if created else "true"})


@blp.post("/cases/<string:case_no>/reviewed")
@blp.response(200, CaseSchema)
@blp.doc(security=BEARER)
@login_required(Role.SUPERVISOR, Role.ADMIN)
def mark_reviewed(case_no):
    """已审阅过期操作 A supervisor has looked at the stale offline steps of a case"""
    user = current_user()
    with unit_of_work():
        case = workflow.mark_reviewed(user, service.get_case(user, case_no))
    return _with_actions(case)


@blp.post("/cases/escalate")
@blp.response(200, EventSchema(many=True))
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def escalate():
    """督办 Run the overdue check for the caller's county now (cron runs `riverpatrol cases escalate` daily)"""
    with unit_of_work():
        return workflow.escalate_overdue(scope_path=scope_path(current_user()))


@blp.get("/cases/ledger")
@blp.arguments(LedgerArgs, location="query")
@blp.doc(security=BEARER, responses={"200": {"content": {MIME: {}}}})
@login_required(Role.SUPERVISOR, Role.ADMIN)
def ledger(args):
    """问题台账 Every case of the caller's org unit, with its history, as XLSX"""
    with unit_of_work():
        made = service.ledger_file(scope_unit(current_user()), args.get("date_from"), args.get("date_to"),
                                   current_user())
    return made.response()


@blp.get("/cases/overdue")
@blp.response(200, OverdueCaseSchema(many=True))
@blp.doc(security=BEARER)
@login_required(Role.SUPERVISOR, Role.ADMIN)
def overdue_cases():
    """逾期案件 Cases of the caller's org unit in work past their deadline, the latest first"""
    return briefing.overdue_now(scope_unit(current_user()))


@blp.get("/cases/overdue-briefing/<string:period>")
@blp.arguments(OverdueBriefingArgs, location="query")
@blp.response(200, OverdueBriefingSchema)
@blp.doc(security=BEARER, responses={"200": {"content": {MIME: {}}}})
@login_required(Role.SUPERVISOR, Role.ADMIN)
def overdue_briefing(args, period):
    """逾期单位通报 The month's units with cases past their deadline, ranked (JSON, or XLSX with those overdue now)"""
    unit = scope_unit(current_user())
    found = briefing.month_briefing(unit, *briefing.month_of(period))
    if args["format"] == "xlsx":
        return briefing.briefing_file(found, period, briefing.overdue_now(unit)).response()
    return {**found, "period": period}


@blp.get("/cases/<string:case_no>/notices")
@blp.response(200, NoticeSchema(many=True))
@blp.doc(security=BEARER)
@login_required()
def list_notices(case_no):
    """督办单 The numbered notices issued with each escalation step of the case"""
    return notices.of_case(service.get_case(current_user(), case_no))


@blp.get("/cases/<string:case_no>/notices/<int:notice_id>.pdf")
@blp.doc(security=BEARER, responses={"200": {"content": {"application/pdf": {}}}})
@login_required()
def notice_pdf(case_no, notice_id):
    """督办单 PDF One notice, printable, with its signature lines"""
    return notices.pdf_file(notices.one(service.get_case(current_user(), case_no), notice_id)).response()


@blp.get("/calendar")
@blp.response(200, CalendarDaySchema(many=True))
@blp.doc(security=BEARER)
@login_required()
def list_calendar():
    """工作日历 Holidays and make-up working days over the caller's org unit"""
    return settings.calendar_for(current_user())


@blp.post("/calendar")
@blp.arguments(CalendarDaySchema)
@blp.response(201, CalendarDaySchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def add_calendar_day(data):
    """设置节假日/调休 A holiday or make-up working day for the caller's org unit or below"""
    with unit_of_work():
        return settings.add_calendar_day(current_user(), data)


@blp.get("/problem-categories")
@blp.response(200, CategorySchema(many=True))
@blp.doc(security=BEARER)
@login_required()
def list_categories():
    """问题类别 The taxonomy in force for the caller: built-in, with the county's own over it"""
    return service.categories_for(current_user())


@blp.post("/problem-categories")
@blp.arguments(CategorySchema)
@blp.response(201, CategorySchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def add_category(data):
    """新增/调整问题类别 A county's own category, or its severity thresholds for a built-in one"""
    with unit_of_work():
        return settings.add_category(current_user(), data)


# ---------------------------------------------------------------- the reports that open cases (上报)
def _full(problem: Problem) -> View:
    return View(problem, photos=photos_of_problem(problem))


@blp.post("/problems")
@blp.arguments(ProblemCreateSchema)
@blp.response(201, ProblemSchema)
@blp.doc(security=BEARER, tags=["problems"])
@login_required()
def report_problem(data):
    """上报问题 Report a problem (idempotent by the phone's UUID)"""
    with unit_of_work():
        problem, created = reports.report(current_user(), data)
    return _full(problem), 201, replayed_header(created)


@blp.get("/problems")
@blp.arguments(ProblemListArgs, location="query")
@blp.response(200, ProblemSchema(many=True))
@blp.doc(security=BEARER, tags=["problems"])
@login_required()
def list_problems(args):
    """问题列表 Problems in the caller's scope"""
    q = reports.problems_in_scope(current_user())
    if "category" in args:
        q = q.where(Problem.category == args["category"])
    if "grid_id" in args:
        q = q.where(Problem.grid_id.in_(under_grid(args["grid_id"])))
    return [_full(p) for p in db.session.scalars(q.limit(500))]


@blp.get("/problems/<uuid:problem_uuid>")
@blp.response(200, ProblemSchema)
@blp.doc(security=BEARER, tags=["problems"])
@login_required()
def get_problem(problem_uuid):
    """问题详情 One problem"""
    problem = db.session.scalar(reports.problems_in_scope(current_user()).where(Problem.uuid == str(problem_uuid)))
    if problem is None:
        raise NotFound()
    return _full(problem)
