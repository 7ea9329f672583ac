"""Resumable photo uploads (tus-like): create, append chunks at an offset, finish.

Each chunk is written at its offset and the offset committed; a lost answer is safe
because the phone asks for the offset and sends from there. Nothing half-written
becomes a photo: the whole file is checked (size, SHA-256, Pillow) before it counts.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..auth.users import users_in_scope
from ..db import utcnow
from ..errors import ApiError, NotFound
from ..extensions import db
from . import images
from .models import Photo


def _root() -> Path:
    return Path(current_app.config["PHOTO_DIR"])


def partial_path(uuid: str) -> Path:
    return _root() / "partial" / f"{uuid}.part"


def full_path(uuid: str) -> Path:
    return _root() / "full" / uuid[:2] / f"{uuid}.jpg"


def thumb_path(uuid: str) -> Path:
    return _root() / "thumb" / uuid[:2] / f"{uuid}.jpg"


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
    from ..cases.service import cases_in_scope
    from ..problems.models import Problem

    photo = db.session.scalar(select(Photo).where(Photo.uuid == uuid, Photo.problem_uuid.is_not(None)))
    if photo is None:
        return None
    from ..cases.models import Case

    seen = db.session.scalar(cases_in_scope(user).with_only_columns(Case.id).where(Problem.uuid == photo.problem_uuid))
    return photo if seen else None


def _own_photo(user: User, uuid: str, lock: bool = False) -> Photo:
    q = select(Photo).where(Photo.uuid == uuid, Photo.owner_id == user.id)
    if lock:
        q = q.with_for_update()
    photo = db.session.scalar(q)
    if photo is None:
        raise NotFound()
    return photo


def create(user: User, data: dict) -> tuple[Photo, bool]:
    """Start an upload; the same UUID with the same file again answers with its state."""
    if data["size"] > current_app.config["PHOTO_MAX_BYTES"]:
        raise ApiError("photo.too_large", 422, limit=current_app.config["PHOTO_MAX_BYTES"])
    uuid = str(data["uuid"])
    existing = db.session.scalar(select(Photo).where(Photo.uuid == uuid))
    if existing is None:
        photo = Photo(uuid=uuid, owner_id=user.id, size=data["size"], sha256=data["sha256"].lower(),
                      patrol_uuid=_str(data.get("patrol_uuid")), problem_uuid=_str(data.get("problem_uuid")))
        db.session.add(photo)
        try:
            db.session.commit()
        except IntegrityError:  # the same upload started twice at once
            db.session.rollback()
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
    photo = _own_photo(user, uuid, lock=True)
    if photo.status == "complete":
        return photo  # a repeated last chunk whose answer was lost
    if offset != photo.received:
        raise ApiError("photo.offset_mismatch", 409, offset=photo.received)
    if len(chunk) > cfg["PHOTO_CHUNK_MAX_BYTES"]:
        raise ApiError("photo.chunk_too_large", 413, limit=cfg["PHOTO_CHUNK_MAX_BYTES"])
    if offset + len(chunk) > photo.size:
        raise ApiError("photo.too_large", 422, limit=photo.size)
    part = partial_path(uuid)
    part.parent.mkdir(parents=True, exist_ok=True)
    with open(part, "r+b" if part.exists() else "wb") as fh:
        fh.seek(offset)
        fh.write(chunk)
        fh.truncate(offset + len(chunk))  # bytes past a lost commit are overwritten, not kept
        fh.flush()
        os.fsync(fh.fileno())
    photo.received = offset + len(chunk)
    photo.updated_at = utcnow()
    if photo.received == photo.size:
        _finish(photo, part)
    db.session.commit()
    return photo


def _finish(photo: Photo, part: Path) -> None:
    cfg = current_app.config
    digest = hashlib.sha256()
    with open(part, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != photo.sha256:
        _discard(photo, part)
        raise ApiError("photo.checksum_mismatch", 422)
    full, thumb = full_path(photo.uuid), thumb_path(photo.uuid)
    try:
        info = images.process(part, full, thumb, max_pixels=cfg["PHOTO_MAX_PIXELS"],
                              long_edge=cfg["PHOTO_LONG_EDGE"], thumb_edge=cfg["PHOTO_THUMB_EDGE"])
    except ApiError:
        _discard(photo, part)
        for p in (full, thumb):
            p.unlink(missing_ok=True)
        raise
    photo.width, photo.height, photo.original_format = info.width, info.height, info.original_format
    photo.taken_at, photo.exif_lon, photo.exif_lat = info.taken_at, info.lon, info.lat
    photo.status = "complete"
    photo.completed_at = utcnow()
    part.unlink(missing_ok=True)


def _discard(photo: Photo, part: Path) -> None:
    """A bad photo leaves nothing behind; the phone may start again with the same UUID."""
    db.session.delete(photo)
    db.session.commit()
    part.unlink(missing_ok=True)


def prune_partials(older_than: dt.timedelta = dt.timedelta(hours=48)) -> int:
    """Drop uploads left unfinished for longer than ``older_than`` (kept at least 24 h)."""
    cutoff = utcnow() - older_than
    stale = db.session.scalars(select(Photo).where(Photo.status == "uploading", Photo.updated_at < cutoff)).all()
    for photo in stale:
        partial_path(photo.uuid).unlink(missing_ok=True)
        db.session.delete(photo)
    db.session.commit()
    return len(stale)
