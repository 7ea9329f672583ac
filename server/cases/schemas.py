"""Cases' schemas, shared by the API and the console's forms."""
from geoalchemy2.shape import to_shape
from marshmallow import Schema, fields, validate

from shared_models.enums import PROBLEM_CATEGORIES, SEVERITIES

from ..cards.schemas import PersonSchema
from ..grids.schemas import OrgUnitSchema
from ..schemas import AwareDateTime, Date, Int
from . import workflow
from .models import Case


class ProblemCreateSchema(Schema):
    uuid = fields.UUID(required=True)
    category = fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={
        "description": "a code of GET /problem-categories (built-in or the county's own)"})
    severity = fields.String(load_default="general", validate=validate.OneOf(list(SEVERITIES)))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    accuracy_m = fields.Float(allow_none=True, validate=validate.Range(0, 100000))
    reported_at = AwareDateTime(required=True, metadata={"description": "ISO 8601 with offset"})
    photo_uuids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=20))
    patrol_uuid = fields.UUID(allow_none=True)
    quantity = fields.Float(allow_none=True, validate=validate.Range(min=0), metadata={
        "description": "measured size (area m2, volume m3...): where the county set thresholds it decides severity"})


class PhotoRefSchema(Schema):
    uuid = fields.String()
    complete = fields.Function(lambda p: p.status == "complete")


class ProblemSchema(Schema):
    uuid = fields.String()
    category = fields.String()
    category_name = fields.Function(lambda p: PROBLEM_CATEGORIES.get(p.category, (p.category,))[0])
    severity = fields.String()
    severity_name = fields.Function(lambda p: SEVERITIES[p.severity][0])
    description = fields.String()
    lon = fields.Function(lambda p: to_shape(p.location).x)
    lat = fields.Function(lambda p: to_shape(p.location).y)
    accuracy_m = fields.Float(allow_none=True)
    reported_at = fields.DateTime()
    created_at = fields.DateTime()
    patrol_uuid = fields.String(allow_none=True)
    reporter = fields.Nested(PersonSchema)
    grid = fields.Nested(OrgUnitSchema, allow_none=True)
    photos = fields.List(fields.Nested(PhotoRefSchema), dump_only=True)
    case_no = fields.Function(lambda p: p.case.case_no if p.case else None,
                              metadata={"description": "the case (问题处置) this report opened"})


class ProblemListArgs(Schema):
    category = fields.String()
    grid_id = Int()


class EventSchema(Schema):
    action = fields.String()
    action_label = fields.Function(lambda e: workflow.ACTION_LABELS.get(e.action, e.action))
    outcome = fields.String(metadata={"description": "applied | stale (an offline step overtaken; kept for review)"})
    from_status = fields.String()
    to_status = fields.String()
    base_version = Int(allow_none=True)
    actor = fields.Function(lambda e: e.actor.name if e.actor else "系统")
    at = fields.DateTime()
    client_at = fields.DateTime(allow_none=True)
    lon = fields.Float(allow_none=True)
    lat = fields.Float(allow_none=True)
    note = fields.String()
    evidence = fields.Raw()


def problem_of(case: Case) -> dict:
    """The report behind a case, as the API and the console show it."""
    from geoalchemy2.shape import to_shape

    from ..photos.service import photos_of_problem as photos_of
    from ..voicenotes.service import notes_of_problem

    p, where = case.problem, to_shape(case.problem.location)
    return {"uuid": p.uuid, "description": p.description, "lon": where.x, "lat": where.y,
            "reported_at": p.reported_at.isoformat(), "reporter": p.reporter.name,
            "photo_uuids": [ph.uuid for ph in photos_of(p)],
            "voice_notes": [{"uuid": n.uuid, "duration_s": n.duration_s} for n in notes_of_problem(p)]}


class CaseSchema(Schema):
    case_no = fields.String()
    status = fields.String()
    status_label = fields.Function(lambda c: workflow.STATUS_LABELS[c.status])
    version = Int()
    category = fields.String()
    category_label = fields.Function(lambda c: PROBLEM_CATEGORIES.get(c.category, (c.category,))[0])
    severity = fields.String()
    severity_label = fields.Function(lambda c: SEVERITIES.get(c.severity, (c.severity,))[0])
    grid_id = Int()
    grid_name = fields.Function(lambda c: c.grid.name)
    problem = fields.Function(problem_of)
    assignee_id = Int(allow_none=True)
    assignee_unit_id = Int(allow_none=True)
    assignee_unit = fields.Function(lambda c: c.assignee_unit.name if c.assignee_unit else None)
    pending = fields.Raw(allow_none=True, metadata={"description": "the assignee's request waiting for the manager"})
    rechecker_id = Int(allow_none=True)
    assigned_on = Date(allow_none=True)
    deadline = Date(allow_none=True, metadata={"description": "last Asia/Shanghai day, inclusive"})
    overdue = fields.Boolean()
    escalation_level = Int()
    possible_duplicate_of = fields.Function(lambda c: c.possible_duplicate_of.case_no if c.possible_duplicate_of
                                            else None)
    needs_review = fields.Boolean()
    closed_at = fields.DateTime(allow_none=True)
    allowed_actions = fields.Function(lambda c: c.allowed_actions,
                                      metadata={"description": "what the caller may do now"})


class CaseDetailSchema(CaseSchema):
    events = fields.List(fields.Nested(EventSchema))


class CaseListArgs(Schema):
    status = fields.String(validate=validate.OneOf(list(workflow.STATUS_LABELS)))
    overdue = fields.Boolean()
    needs_review = fields.Boolean()
    mine = fields.Boolean(metadata={"description": "cases the caller must fix or re-check"})
    limit = Int(load_default=200, validate=validate.Range(1, 1000))
    offset = Int(load_default=0, validate=validate.Range(0))


class TransitionSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(list(workflow.STEPS)))
    client_uuid = fields.UUID(metadata={"description": "the phone's id of this step: repeats answer once"})
    base_version = Int(metadata={"description": "the case version the step was based on"})
    at = AwareDateTime(metadata={"description": "when it was done (an offline phone's clock)"})
    lon = fields.Float(validate=validate.Range(-180, 180))
    lat = fields.Float(validate=validate.Range(-90, 90))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    photo_uuids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=20))
    refusal = fields.String(validate=validate.OneOf(["duplicate", "invalid"]))
    assignee_id = Int()
    assignee_unit_id = Int()
    rechecker_id = Int()
    working_days = Int(validate=validate.Range(1, 30), metadata={"description": "申请延期: how many working days"})


class TransitionResultSchema(Schema):
    applied = fields.Boolean()
    event = fields.Nested(EventSchema)
    case = fields.Nested(CaseSchema)


class OverdueCaseSchema(Schema):
    case_no = fields.String()
    category = fields.String(metadata={"description": "in Chinese"})
    grid = fields.String()
    responsible = fields.String(metadata={"description": "the unit (and person) the case is assigned to"})
    deadline = Date()
    late_working_days = Int()
    escalation_level = Int()


class OverdueUnitSchema(Schema):
    rank = Int()
    responsible = fields.String()
    overdue_cases = Int()
    still_open = Int(metadata={"description": "not rectified by the month's end (or today)"})
    longest = Int(metadata={"description": "the longest delay, in working days"})
    notices = Int(metadata={"description": "督办单 issued in the month for these cases"})
    cases = fields.List(fields.String())


class OverdueBriefingSchema(Schema):
    period = fields.String()
    unit = fields.String()
    first = Date()
    last = Date()
    overdue_cases = Int()
    units = fields.List(fields.Nested(OverdueUnitSchema))


class OverdueBriefingArgs(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "xlsx"]))


class LedgerArgs(Schema):
    date_from = Date()
    date_to = Date()


class CalendarDaySchema(Schema):
    id = Int(dump_only=True)
    org_unit_id = Int(required=True)
    day = Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["holiday", "workday"]))
    name = fields.String(load_default="", validate=validate.Length(max=50))


class CategorySchema(Schema):
    id = Int(dump_only=True)
    org_unit_id = Int(required=True, load_only=True)
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    name_en = fields.String(load_default="", validate=validate.Length(max=100))
    thresholds = fields.Dict(allow_none=True, load_default=None, metadata={
        "description": '{"quantity": "area_m2" | "volume_m3", "serious": 1000, "major": 5000}'})
    active = fields.Boolean(load_default=True)
    builtin = fields.Boolean(dump_only=True)


class NoticeSchema(Schema):
    id = Int()
    number = fields.String(metadata={"description": "e.g. 未央区河长办督〔2026〕3号"})
    level = Int()
    label = fields.String()
    responsible = fields.String()
    deadline = Date()
    overdue_working_days = Int()
    issued_at = fields.DateTime()
