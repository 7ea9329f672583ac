"""Voice notes, uploaded resumably (server/uploads.py) and checked whole before they count: size, SHA-256, then
the container recognised and measured (audio.py). A bad recording leaves nothing behind."""
from __future__ import annotations

from pathlib import Path

from flask import current_app
from sqlalchemy import select

from shared_models.clock import utcnow

from .. import uploads
from ..auth.models import User
from ..auth.users import users_in_scope
from ..errors import ApiError, NotFound
from ..extensions import db
from ..storage import storage
from ..transaction import after_commit
from . import audio
from .models import VoiceNote


def partial_path(uuid: str) -> Path:
    return Path(current_app.config["PHOTO_DIR"]) / "partial" / f"voice-{uuid}.part"


def KEY(note: VoiceNote) -> str:  # noqa: N802
    """Where the recording is kept, in the photos' storage (a directory or a bucket)."""
    return f"voice/{note.uuid[:2]}/{note.uuid}.{note.container}"


def create(user: User, data: dict) -> tuple[VoiceNote, bool]:
    """Start an upload; the same UUID with the same file again answers with its state."""
    problem = data.get("problem_uuid")
    return uploads.start(VoiceNote, "voice", user, data, current_app.config["VOICE_MAX_BYTES"],
                         problem_uuid=str(problem) if problem else None, recorded_at=data.get("recorded_at"))


def append(user: User, uuid: str, offset: int, chunk: bytes) -> VoiceNote:
    """Write ``chunk`` at ``offset``; on the last byte check the whole recording and keep it."""
    part = partial_path(uuid)
    note, finished = uploads.append(VoiceNote, "voice", uploads.own(VoiceNote, user, uuid), offset, chunk, part,
                                    current_app.config["PHOTO_CHUNK_MAX_BYTES"],
                                    lambda: uploads.own(VoiceNote, user, uuid))
    if finished:
        try:
            if uploads.sha256_of(part) != note.sha256:
                raise ApiError("voice.checksum_mismatch", 422)
            note.container, note.duration_s = audio.inspect(part, current_app.config["VOICE_MAX_SECONDS"])
        except ApiError as exc:  # the phone may start again with the same UUID
            db.session.delete(note)
            after_commit(part.unlink, missing_ok=True)
            exc.keep = True
            raise
        storage().put_file(KEY(note), part)  # storage full: nothing committed, the phone resends the last chunk
        note.status = "complete"
        note.completed_at = utcnow()
        after_commit(part.unlink, missing_ok=True)
    db.session.flush()
    return note


def visible_note(user: User, uuid: str) -> VoiceNote:
    """The recording if its owner is the caller or within the caller's scope, or it belongs to a problem whose case
    the caller may see (the case's assignee, its re-checker); else 404."""
    owners = users_in_scope(user).with_only_columns(User.id)
    note = db.session.scalar(select(VoiceNote).where(VoiceNote.uuid == uuid, VoiceNote.owner_id.in_(owners)))
    if note is None:
        from ..cases.models import Case, Problem
        from ..cases.service import cases_in_scope

        note = db.session.scalar(select(VoiceNote).where(VoiceNote.uuid == uuid, VoiceNote.problem_uuid.is_not(None)))
        seen = note is not None and db.session.scalar(
            cases_in_scope(user).with_only_columns(Case.id).where(Problem.uuid == note.problem_uuid))
        note = note if seen else None
    if note is None:
        raise NotFound()
    return note


def send(note: VoiceNote):
    if note.status != "complete":
        raise ApiError("voice.not_complete", 409)
    return storage().send(KEY(note), audio.MIMETYPES[note.container])


def notes_of_problem(problem) -> list[VoiceNote]:
    """A report's recordings, by its reporter, whole."""
    return list(db.session.scalars(select(VoiceNote).where(
        VoiceNote.problem_uuid == problem.uuid, VoiceNote.owner_id == problem.reporter_id,
        VoiceNote.status == "complete").order_by(VoiceNote.created_at)))
