"""Resumable photo uploads (server/uploads.py: create, append chunks at an offset), finished here: nothing
half-written becomes a photo, the whole file is checked (size, SHA-256, Pillow) before it counts."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, select

from shared_models.clock import utcnow
from shared_models.wire import PHOTO_CAPTURE_FIELDS

from .. import uploads
from ..audit import service as audit
from ..auth.models import User
from ..auth.users import users_in_scope
from ..errors import ApiError, NotFound
from ..extensions import db
from ..jobs import enqueue
from ..storage import storage
from ..transaction import after_commit
from . import images
from .models import Photo


def spool() -> Path:
    """Uploads in progress, on the app server that receives them (nginx routes a photo's chunks to one)."""
    return Path(current_app.config["PHOTO_DIR"]) / "partial"


def partial_path(uuid: str) -> Path:
    return spool() / f"{uuid}.part"


def verified_path(uuid: str) -> Path:
    """A whole, checked upload waiting for its job on the server that received it."""
    return spool() / f"{uuid}.verified"


# keys in photo storage (a directory or a bucket, server/storage.py)
def FULL(uuid: str) -> str:  # noqa: N802
    return f"full/{uuid[:2]}/{uuid}.jpg"


def THUMB(uuid: str) -> str:  # noqa: N802
    return f"thumb/{uuid[:2]}/{uuid}.jpg"


def ORIGINAL(uuid: str) -> str:  # noqa: N802
    """The bytes the phone sent, checked against its SHA-256: kept as evidence."""
    return f"original/{uuid[:2]}/{uuid}"


def send(photo: Photo, size: str):
    """The re-encoded photo or its thumbnail, from wherever photos are stored."""
    return storage().send(THUMB(photo.uuid) if size == "thumbnail" else FULL(photo.uuid), "image/jpeg")


def visible_photo(user: User, uuid: str) -> Photo:
    """The photo if its owner is the caller or within the caller's scope; else 404."""
    owners = users_in_scope(user).with_only_columns(User.id)
    photo = db.session.scalar(select(Photo).where(Photo.uuid == uuid, Photo.owner_id.in_(owners)))
    if photo is None:
        photo = _case_evidence(user, uuid)
    if photo is None:
        raise NotFound()
    return photo


def look(user: User, uuid: str, size: str) -> Photo:
    """A complete photo to send; the full image looked at by anyone but its owner is kept in the audit log (a
    thumbnail in a list is not a look at the photo)."""
    photo = visible_photo(user, uuid)
    if photo.status != "complete":
        raise ApiError("photo.not_complete", 409)
    if size != "thumbnail":
        audit.viewed(user, "photo.viewed", "photo", photo.uuid, owner_id=photo.owner_id,
                     scope_path=db.session.get(User, photo.owner_id).org_unit.path)
    return photo


def _case_evidence(user: User, uuid: str) -> Photo | None:
    """A photo of a problem whose case the caller may see: the re-checker sees the before- and
    after-photos, the assignee the before-photos, whoever took them."""
    from ..cases.models import Problem
    from ..cases.service import cases_in_scope

    photo = db.session.scalar(select(Photo).where(Photo.uuid == uuid, Photo.problem_uuid.is_not(None)))
    if photo is None:
        return None
    from ..cases.models import Case

    seen = db.session.scalar(cases_in_scope(user).with_only_columns(Case.id).where(Problem.uuid == photo.problem_uuid))
    return photo if seen else None


def _own_photo(user: User, uuid: str) -> Photo:
    return uploads.own(Photo, user, uuid)


def create(user: User, data: dict) -> tuple[Photo, bool]:
    """Start an upload; the same UUID with the same file again answers with its state."""
    photo, created = uploads.start(
        Photo, "photo", user, data, current_app.config["PHOTO_MAX_BYTES"],
        patrol_uuid=_str(data.get("patrol_uuid")), problem_uuid=_str(data.get("problem_uuid")),
        **{k: data.get(k) for k in PHOTO_CAPTURE_FIELDS})
    return photo, created


def _str(value) -> str | None:
    return str(value) if value is not None else None


def append(user: User, uuid: str, offset: int, chunk: bytes) -> Photo:
    """Write ``chunk`` at ``offset``; on the last byte check and process the whole photo."""
    part = partial_path(uuid)
    photo, finished = uploads.append(Photo, "photo", _own_photo(user, uuid), offset, chunk, part,
                                     current_app.config["PHOTO_CHUNK_MAX_BYTES"], lambda: _own_photo(user, uuid))
    if finished:
        _finish(photo, part)
        # only once the commit holds: a commit lost to a database restart leaves the part file whole,
        # so the phone's retry of the last chunk finds every byte where it was
        after_commit(part.replace, verified_path(uuid))  # the job's input when it runs on this machine
        after_commit(enqueue, "photos.process", uuid=uuid)
    db.session.flush()
    return photo


def store_whole(user: User, blob: bytes) -> Photo:
    """A photo sent whole (the console's file field), through the same checks as a phone's chunks: its
    signature and size before a decoder sees it, then the job. Refused, it leaves nothing: no row (the caller's
    transaction rolls back) and no part file."""
    import hashlib
    import uuid as uuid_mod

    photo, _ = create(user, {"uuid": str(uuid_mod.uuid4()), "size": len(blob),
                             "sha256": hashlib.sha256(blob).hexdigest()})
    step = current_app.config["PHOTO_CHUNK_MAX_BYTES"]
    try:
        for offset in range(0, len(blob), step):
            photo = append(user, photo.uuid, offset, blob[offset:offset + step])
    except ApiError as exc:
        partial_path(photo.uuid).unlink(missing_ok=True)
        exc.keep = False  # (the phone keeps its refusal to start again; a form starts from nothing)
        raise
    return photo


def _finish(photo: Photo, part: Path) -> None:
    cfg = current_app.config
    if uploads.sha256_of(part) != photo.sha256:
        _discard(photo, part)
        raise ApiError("photo.checksum_mismatch", 422, keep=True)
    try:
        photo.original_format = images.inspect(part, max_pixels=cfg["PHOTO_MAX_PIXELS"])
    except ApiError as exc:
        _discard(photo, part)
        exc.keep = True
        raise
    storage().put_file(ORIGINAL(photo.uuid), part)  # storage full: nothing committed, the phone resends
    photo.status = "processing"  # the job re-encodes it; the upload itself is complete


def _discard(photo: Photo, part: Path) -> None:
    """A bad photo leaves nothing behind; the phone may start again with the same UUID (the refusal
    that follows keeps this: ``ApiError(keep=True)``)."""
    db.session.delete(photo)
    after_commit(part.unlink, missing_ok=True)


def prune_partials(older_than: dt.timedelta = dt.timedelta(hours=48)) -> int:
    """Drop uploads left unfinished for longer than ``older_than`` (kept at least 24 h)."""
    cutoff = utcnow() - older_than
    stale = db.session.scalars(select(Photo).where(Photo.status == "uploading", Photo.updated_at < cutoff)).all()
    for photo in stale:
        after_commit(partial_path(photo.uuid).unlink, missing_ok=True)
        after_commit(verified_path(photo.uuid).unlink, missing_ok=True)
        db.session.delete(photo)
    db.session.flush()
    return len(stale)


def photos_of_problem(problem) -> list[Photo]:
    """A report's photos, linked either way: the photo named the problem, or the problem named the photo
    (only the reporter's own)."""
    return list(db.session.scalars(select(Photo).where(
        or_(Photo.problem_uuid == problem.uuid, Photo.uuid.in_(problem.photo_uuids or [])),
        Photo.owner_id == problem.reporter_id).order_by(Photo.created_at)))


def photos_of_patrol(patrol) -> list[Photo]:
    """The photos its inspector took on a patrol."""
    return list(db.session.scalars(select(Photo).where(
        Photo.patrol_uuid == patrol.uuid, Photo.owner_id == patrol.inspector_id).order_by(Photo.created_at)))

