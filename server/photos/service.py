"""Resumable photo uploads (tus-like): create, append chunks at an offset, finish.

Each chunk is written at its offset and the offset committed; a lost answer is safe
because the phone asks for the offset and sends from there. One request at a time writes an
upload (``_claim``): the same chunk sent twice at once is written once, and the other request
answers with the state the first one left (complete, or a 409 with the offset). Nothing half-written
becomes a photo: the whole file is checked (size, SHA-256, Pillow) before it counts.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from shared_models.clock import utcnow
from shared_models.wire import PHOTO_CAPTURE_FIELDS

from ..auth.models import User
from ..auth.users import users_in_scope
from ..errors import ApiError, NotFound
from ..extensions import db
from ..jobs import enqueue
from ..storage import StorageFull, check_free, no_space, storage
from ..transaction import after_commit, savepoint
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
    photo = db.session.scalar(select(Photo).where(Photo.uuid == uuid, Photo.owner_id == user.id)
                              .execution_options(populate_existing=True))
    if photo is None:
        raise NotFound()
    return photo


def _claim(photo: Photo, offset: int) -> bool:
    """Take this upload for one chunk at ``offset``: a conditional update, held until the commit
    (a row lock on PostgreSQL, the write lock on SQLite). Another request for the same upload
    waits, then finds the offset moved (or the upload complete) and takes nothing."""
    claimed = db.session.execute(
        update(Photo).where(Photo.id == photo.id, Photo.status == "uploading", Photo.received == offset)
        .values(updated_at=utcnow()).execution_options(synchronize_session=False))
    return claimed.rowcount == 1


def create(user: User, data: dict) -> tuple[Photo, bool]:
    """Start an upload; the same UUID with the same file again answers with its state."""
    if data["size"] > current_app.config["PHOTO_MAX_BYTES"]:
        raise ApiError("photo.too_large", 422, limit=current_app.config["PHOTO_MAX_BYTES"])
    uuid = str(data["uuid"])
    existing = db.session.scalar(select(Photo).where(Photo.uuid == uuid))
    if existing is None:
        photo = Photo(uuid=uuid, owner_id=user.id, size=data["size"], sha256=data["sha256"].lower(),
                      patrol_uuid=_str(data.get("patrol_uuid")), problem_uuid=_str(data.get("problem_uuid")),
                      **{k: data.get(k) for k in PHOTO_CAPTURE_FIELDS})
        try:
            with savepoint():
                db.session.add(photo)
        except IntegrityError:  # the same upload started twice at once
            existing = db.session.scalar(select(Photo).where(Photo.uuid == uuid))
        else:
            partial_path(uuid).parent.mkdir(parents=True, exist_ok=True)
            return photo, True
    same = (existing.owner_id == user.id and existing.size == data["size"]
            and existing.sha256 == data["sha256"].lower())
    if not same:
        raise ApiError("photo.conflict", 409)
    return existing, False


def _str(value) -> str | None:
    return str(value) if value is not None else None


def append(user: User, uuid: str, offset: int, chunk: bytes) -> Photo:
    """Write ``chunk`` at ``offset``; on the last byte check and process the whole photo."""
    cfg = current_app.config
    photo = _own_photo(user, uuid)
    if photo.status in ("processing", "complete"):
        return photo  # a repeated last chunk whose answer was lost
    if offset != photo.received:
        raise ApiError("photo.offset_mismatch", 409, offset=photo.received)
    if len(chunk) > cfg["PHOTO_CHUNK_MAX_BYTES"]:
        raise ApiError("photo.chunk_too_large", 413, limit=cfg["PHOTO_CHUNK_MAX_BYTES"])
    if offset + len(chunk) > photo.size:
        raise ApiError("photo.too_large", 422, limit=photo.size)
    if not _claim(photo, offset):  # the same chunk sent twice at once: the other one took it
        db.session.rollback()  # (it wrote nothing) ends this transaction's snapshot: the other's commit is seen
        photo = _own_photo(user, uuid)
        if photo.status in ("processing", "complete"):
            return photo  # the same answer as the one that finished it
        raise ApiError("photo.offset_mismatch", 409, offset=photo.received)
    part = partial_path(uuid)
    check_free(part.parent, len(chunk))
    try:
        with open(part, "r+b" if part.exists() else "wb") as fh:
            fh.seek(offset)
            fh.write(chunk)
            fh.truncate(offset + len(chunk))  # bytes past a lost commit are overwritten, not kept
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        if no_space(exc):  # the offset is not moved: the phone resends this chunk later
            raise StorageFull() from None
        raise
    photo.received = offset + len(chunk)
    photo.updated_at = utcnow()
    finished = photo.received == photo.size
    if finished:
        _finish(photo, part)
        # only once the commit holds: a commit lost to a database restart leaves the part file whole,
        # so the phone's retry of the last chunk finds every byte where it was
        after_commit(part.replace, verified_path(uuid))  # the job's input when it runs on this machine
        after_commit(enqueue, "photos.process", uuid=uuid)
    db.session.flush()
    return photo


def _finish(photo: Photo, part: Path) -> None:
    cfg = current_app.config
    digest = hashlib.sha256()
    with open(part, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != photo.sha256:
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

