import hashlib

from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema

from shared_models.enums import Role
from shared_models.track import TrackError
from shared_models.track.gpx import read_gpx

from ..auth.decorators import BEARER, current_user, login_required
from ..cases.reports import problems_of_patrol
from ..idempotency import replayed_header
from ..photos.service import photos_of_patrol
from ..schemas import View
from ..transaction import unit_of_work
from . import export, service
from .schemas import (
    GpxImportSchema,
    PatrolDetailSchema,
    PatrolListArgs,
    PatrolSchema,
    PatrolUploadSchema,
    ReviewSchema,
)

blp = Blueprint("patrols", __name__, url_prefix="/api/v1", description="巡河记录 Patrols")


class GpxFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "GPX 1.0 or 1.1"})


def _detail(patrol):
    return View(patrol, display_track=(patrol.display or {}).get("line"),  # stored at intake: no fix decoded
                photos=photos_of_patrol(patrol),
                problem_uuids=[p.uuid for p in problems_of_patrol(patrol)])


@blp.post("/patrols")
@blp.arguments(PatrolUploadSchema)
@blp.response(201, PatrolDetailSchema)
@blp.doc(security=BEARER)
@login_required()
def upload_patrol(data):
    """上传巡河 Upload a patrol (idempotent by the phone's UUID)"""
    with unit_of_work():
        patrol, created = service.upload(current_user(), data)
    return _detail(patrol), 201, replayed_header(created)


@blp.post("/patrols/import-gpx")
@blp.arguments(GpxImportSchema, location="form")
@blp.arguments(GpxFileSchema, location="files")
@blp.response(201, PatrolDetailSchema)
@blp.doc(security=BEARER)
@login_required()
def import_gpx(data, files):
    """导入 GPX 巡河 A patrol recorded on a handheld GPS, through the same checks"""
    raw = files["file"].read()
    digest = hashlib.sha256(raw + repr(sorted(data.items())).encode()).hexdigest()
    stored = service.repeat_of(current_user(), str(data["uuid"]), digest)
    if stored is not None:
        return _detail(stored), 201, replayed_header(False)
    try:
        track = read_gpx(raw)
    except TrackError as exc:
        raise service.track_error(exc) from None
    with unit_of_work():
        patrol, created = service.intake(current_user(), data, track, "gpx", digest)
    return _detail(patrol), 201, replayed_header(created)


@blp.get("/patrols")
@blp.arguments(PatrolListArgs, location="query")
@blp.response(200, PatrolSchema(many=True))
@blp.doc(security=BEARER)
@login_required()
def list_patrols(args):
    """巡河列表 Patrols in the caller's scope, filtered by inspector, grid, dates, validity, flag"""
    return service.search(current_user(), args)


@blp.get("/patrols/<uuid:patrol_uuid>")
@blp.response(200, PatrolDetailSchema)
@blp.doc(security=BEARER)
@login_required()
def get_patrol(patrol_uuid):
    """巡河详情 One patrol with its analysis and a display track of at most 500 vertices"""
    with unit_of_work():
        return _detail(service.look(current_user(), str(patrol_uuid)))


def _track_file(patrol_uuid, fmt: str):
    with unit_of_work():
        patrol = service.look(current_user(), str(patrol_uuid), "track.exported", note=fmt)
    return export.track_file(patrol, fmt).response()


@blp.get("/patrols/<uuid:patrol_uuid>/track.gpx")
@blp.doc(security=BEARER, responses={"200": {"content": {"application/gpx+xml": {}}}})
@login_required()
def track_gpx(patrol_uuid):
    """完整轨迹 GPX The full track as GPX 1.1"""
    return _track_file(patrol_uuid, "gpx")


@blp.get("/patrols/<uuid:patrol_uuid>/track.kml")
@blp.doc(security=BEARER, responses={"200": {"content": {"application/vnd.google-earth.kml+xml": {}}}})
@login_required()
def track_kml(patrol_uuid):
    """完整轨迹 KML The full track as KML (gx:Track with the times)"""
    return _track_file(patrol_uuid, "kml")


@blp.get("/patrols/<uuid:patrol_uuid>/track.geojson")
@blp.doc(security=BEARER, responses={"200": {"content": {"application/geo+json": {}}}})
@login_required()
def track_geojson(patrol_uuid):
    """完整轨迹 GeoJSON The full track as a GeoJSON Feature with its times"""
    return _track_file(patrol_uuid, "geojson")



@blp.post("/patrols/<uuid:patrol_uuid>/review")
@blp.arguments(ReviewSchema)
@blp.response(200, PatrolDetailSchema)
@blp.doc(security=BEARER)
@login_required(Role.SUPERVISOR, Role.ADMIN)
def review_patrol(data, patrol_uuid):
    """审核巡河 Clear a flagged patrol or reject one (a locked month gets a proposed correction)"""
    with unit_of_work():
        patrol = service.review(current_user(), str(patrol_uuid), data["decision"], data["note"])
    return _detail(patrol)
