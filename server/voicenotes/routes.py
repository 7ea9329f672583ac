from flask import request
from flask_smorest import Blueprint

from .. import uploads
from ..auth.decorators import BEARER, current_user, login_required
from ..transaction import unit_of_work
from . import service
from .schemas import VoiceCreateSchema, VoiceSchema

blp = Blueprint("voicenotes", __name__, url_prefix="/api/v1", description="语音说明（断点续传） Voice notes, resumable")


@blp.post("/voice-notes")
@blp.arguments(VoiceCreateSchema)
@blp.response(201, VoiceSchema)
@blp.doc(security=BEARER)
@login_required()
def create_voice_note(data):
    """开始上传语音 Start (or look up) an upload: size and SHA-256 of the whole recording"""
    with unit_of_work():
        note, created = service.create(current_user(), data)
    return uploads.answer(note, 201 if created else 200)


@blp.patch("/voice-notes/<uuid:note_uuid>")
@blp.response(200, VoiceSchema)
@blp.doc(security=BEARER, **uploads.CHUNK_DOC)
@login_required()
def append_voice_chunk(note_uuid):
    """上传分块 Send the bytes at Upload-Offset (at most 256 KB)"""
    offset = uploads.offset_header(request.headers)
    with unit_of_work():
        return uploads.answer(service.append(current_user(), str(note_uuid), offset, request.get_data()))


@blp.get("/voice-notes/<uuid:note_uuid>")
@blp.response(200, VoiceSchema)
@blp.doc(security=BEARER)
@login_required()
def get_voice_note(note_uuid):
    """语音状态 How much has arrived (Upload-Offset), its container and length when complete"""
    return uploads.answer(service.visible_note(current_user(), str(note_uuid)))


@blp.get("/voice-notes/<uuid:note_uuid>/audio")
@blp.doc(security=BEARER, responses={"200": {"content": {"audio/mp4": {}, "audio/wav": {}}}})
@login_required()
def voice_audio(note_uuid):
    """语音 The recording as it was sent (after its checks)"""
    return service.send(service.visible_note(current_user(), str(note_uuid)))
