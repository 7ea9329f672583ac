from flask import request
from flask_smorest import Blueprint

from .. import uploads
from ..auth.decorators import BEARER, current_user, login_required
from ..transaction import unit_of_work
from . import service
from .schemas import PhotoCreateSchema, PhotoSchema

blp = Blueprint("photos", __name__, url_prefix="/api/v1", description="照片（断点续传） Photos, resumable")


@blp.post("/photos")
@blp.arguments(PhotoCreateSchema)
@blp.response(201, PhotoSchema)
@blp.doc(security=BEARER)
@login_required()
def create_photo(data):
    """开始上传照片 Start (or look up) an upload: size and SHA-256 of the whole file"""
    with unit_of_work():
        photo, created = service.create(current_user(), data)
    return uploads.answer(photo, 201 if created else 200)


@blp.patch("/photos/<uuid:photo_uuid>")
@blp.response(200, PhotoSchema)
@blp.doc(security=BEARER, **uploads.CHUNK_DOC)
@login_required()
def append_chunk(photo_uuid):
    """上传分块 Send the bytes at Upload-Offset (at most 256 KB)"""
    offset = uploads.offset_header(request.headers)
    with unit_of_work():
        return uploads.answer(service.append(current_user(), str(photo_uuid), offset, request.get_data()))


@blp.get("/photos/<uuid:photo_uuid>")
@blp.response(200, PhotoSchema)
@blp.doc(security=BEARER)
@login_required()
def get_photo(photo_uuid):
    """照片状态 How much has arrived (Upload-Offset), and EXIF time and place when complete"""
    return uploads.answer(service.visible_photo(current_user(), str(photo_uuid)))


def _send(photo_uuid, size):
    with unit_of_work():
        photo = service.look(current_user(), str(photo_uuid), size)
    return service.send(photo, size)


@blp.get("/photos/<uuid:photo_uuid>/image")
@blp.doc(security=BEARER, responses={"200": {"content": {"image/jpeg": {}}}})
@login_required()
def photo_image(photo_uuid):
    """照片 The photo, re-encoded, at most 1600 px"""
    return _send(photo_uuid, "full")


@blp.get("/photos/<uuid:photo_uuid>/thumbnail")
@blp.doc(security=BEARER, responses={"200": {"content": {"image/jpeg": {}}}})
@login_required()
def photo_thumbnail(photo_uuid):
    """缩略图 The 320 px thumbnail"""
    return _send(photo_uuid, "thumbnail")
