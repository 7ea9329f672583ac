from flask_smorest import Blueprint

from ..auth.decorators import BEARER, current_user, login_required
from ..errors import NotFound
from ..extensions import db
from ..grids.scope import under_grid
from ..idempotency import replayed_header
from ..schemas import View
from . import service
from .models import Problem
from .schemas import ProblemCreateSchema, ProblemListArgs, ProblemSchema

blp = Blueprint("problems", __name__, url_prefix="/api/v1", description="问题上报 Problem reports")


def _full(problem: Problem) -> View:
    return View(problem, photos=service.photos_of(problem))


@blp.post("/problems")
@blp.arguments(ProblemCreateSchema)
@blp.response(201, ProblemSchema)
@blp.doc(security=BEARER)
@login_required()
def report_problem(data):
    """上报问题 Report a problem (idempotent by the phone's UUID)"""
    problem, created = service.report(current_user(), data)
    return _full(problem), 201, replayed_header(created)


@blp.get("/problems")
@blp.arguments(ProblemListArgs, location="query")
@blp.response(200, ProblemSchema(many=True))
@blp.doc(security=BEARER)
@login_required()
def list_problems(args):
    """问题列表 Problems in the caller's scope"""
    q = service.problems_in_scope(current_user())
    if "category" in args:
        q = q.where(Problem.category == args["category"])
    if "grid_id" in args:
        q = q.where(Problem.grid_id.in_(under_grid(args["grid_id"])))
    return [_full(p) for p in db.session.scalars(q.limit(500))]


@blp.get("/problems/<uuid:problem_uuid>")
@blp.response(200, ProblemSchema)
@blp.doc(security=BEARER)
@login_required()
def get_problem(problem_uuid):
    """问题详情 One problem"""
    problem = db.session.scalar(service.problems_in_scope(current_user()).where(Problem.uuid == str(problem_uuid)))
    if problem is None:
        raise NotFound()
    return _full(problem)
