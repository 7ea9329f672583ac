from flask import current_app
from flask_smorest import Blueprint

from shared_models.enums import Role

from ..auth.decorators import BEARER, current_user, login_required
from ..extensions import db
from ..schemas import FeatureCollectionSchema, ImportResultSchema
from ..transaction import unit_of_work
from . import departments, importer, service
from .models import OrgUnit, RiverSegment
from .schemas import (
    DepartmentSchema,
    GridListArgs,
    ImportArgs,
    OrgUnitDetailSchema,
    OrgUnitSchema,
    SegmentListArgs,
    SegmentSchema,
)
from .scope import get_or_404, org_units_in_scope

blp = Blueprint("grids", __name__, url_prefix="/api/v1", description="网格与河段 Grids and river segments")


@blp.get("/grids")
@blp.arguments(GridListArgs, location="query")
@blp.response(200, OrgUnitSchema(many=True))
@blp.doc(security=BEARER)
@login_required()
def list_grids(args):
    """网格列表 Grids in the caller's scope"""
    q = org_units_in_scope(current_user()).order_by(OrgUnit.path)
    if "parent_id" in args:
        q = q.where(OrgUnit.parent_id == args["parent_id"])
    if "level" in args:
        q = q.where(OrgUnit.level == args["level"])
    return db.session.scalars(q).all()


@blp.get("/grids/<int:grid_id>")
@blp.response(200, OrgUnitDetailSchema)
@blp.doc(security=BEARER)
@login_required()
def get_grid(grid_id):
    """网格详情 One grid with its boundary"""
    return get_or_404(org_units_in_scope(current_user()), grid_id)


@blp.post("/grids/import")
@blp.arguments(FeatureCollectionSchema)
@blp.arguments(ImportArgs, location="query")
@blp.response(201, ImportResultSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def import_grids(fc, args):
    """导入网格 Import grids from GeoJSON (all or nothing)"""
    with unit_of_work():
        return importer.import_grids(fc, actor=current_user(), levels=current_app.config["ORG_LEVELS"],
                                     repair=args["repair"])


@blp.get("/departments")
@blp.response(200, OrgUnitSchema(many=True))
@blp.doc(security=BEARER)
@login_required()
def list_departments():
    """责任单位 The departments of the caller's county, which cases can be assigned to"""
    return db.session.scalars(departments.departments_in_scope(current_user())).all()


@blp.post("/departments")
@blp.arguments(DepartmentSchema)
@blp.response(201, OrgUnitSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def create_department(data):
    """新增责任单位 A department of the admin's county (its staff get the department role there)"""
    with unit_of_work():
        return departments.create(current_user(), data["name"])


@blp.get("/segments")
@blp.arguments(SegmentListArgs, location="query")
@blp.response(200, SegmentSchema(many=True))
@blp.doc(security=BEARER)
@login_required()
def list_segments(args):
    """河段列表 River segments in the caller's scope"""
    q = service.segments_in_scope(current_user())
    if "grid_id" in args:
        q = q.where(RiverSegment.grid_id == args["grid_id"])
    return db.session.scalars(q).all()


@blp.get("/segments/<int:segment_id>")
@blp.response(200, SegmentSchema)
@blp.doc(security=BEARER)
@login_required()
def get_segment(segment_id):
    """河段详情 One river segment"""
    return get_or_404(service.segments_in_scope(current_user()), segment_id)


@blp.post("/segments/import")
@blp.arguments(FeatureCollectionSchema)
@blp.response(201, ImportResultSchema)
@blp.doc(security=BEARER)
@login_required(Role.ADMIN)
def import_segments(fc):
    """导入河段 Import river segments from GeoJSON (all or nothing)"""
    with unit_of_work():
        return importer.import_segments(fc, actor=current_user())



