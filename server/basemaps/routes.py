"""The county's tile package for the phones: what it is (also in /me/changes) and the file, resumable (Range)."""
from flask import send_file
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..auth.decorators import BEARER, current_user, login_required
from ..errors import NotFound
from . import service

blp = Blueprint("basemaps", __name__, url_prefix="/api/v1", description="离线底图 Offline basemaps")

BasemapSchema = Schema.from_dict({  # (the same dict /me/changes carries as ``basemap``)
    "id": fields.Integer(), "name": fields.String(), "attribution": fields.String(), "sha256": fields.String(),
    "size": fields.Integer(), "format": fields.String(metadata={"description": "png | jpg"}),
    "min_zoom": fields.Integer(), "max_zoom": fields.Integer(),
    "bounds": fields.List(fields.Float(), metadata={"description": "west, south, east, north"})}, name="Basemap")


@blp.get("/me/basemap")
@blp.response(200, BasemapSchema)
@blp.doc(security=BEARER)
@login_required()
def my_basemap():
    """本县离线底图 My county's tile package (MBTiles), or 404 when it has none"""
    found = service.summary(service.for_user(current_user()))
    if found is None:
        raise NotFound()
    return found


@blp.get("/basemaps/<int:basemap_id>/file")
@blp.doc(security=BEARER, responses={"206": {"description": "the part asked for with Range"}})
@login_required()
def basemap_file(basemap_id):
    """下载离线底图 The package's file (an MBTiles of PNG or JPEG tiles), with Range for a download that
    resumes"""
    path = service.file_for(current_user(), basemap_id)
    return send_file(path, mimetype="application/x-sqlite3", conditional=True, download_name=path.name,
                     max_age=0)
