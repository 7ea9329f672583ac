"""Resumable uploads (tus-like), the mechanics photos and voice notes share: start an upload by the phone's UUID
with the whole file's size and SHA-256, append chunks at the offset the server holds, check the whole file.

Each chunk is written at its offset and the offset committed; a lost answer is safe because the phone asks for
the offset and sends from there. One request at a time writes an upload (``_claim``): the same chunk sent twice at
once is written once, and the other request answers with the state the first one left (complete, or a 409 with
the offset). Error codes are the kind's own (``photo.offset_mismatch``, ``voice.offset_mismatch``, ...), so the
phone's handling of each stays as released.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import ForeignKey, Integer, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from shared_models.clock import utcnow

from .db import UTCDateTime
from .errors import ApiError, NotFound
from .extensions import db
from .storage import StorageFull, check_free, no_space
from .transaction import savepoint

CHUNK_DOC = {  # the OpenAPI of a chunk, for the routes
    "requestBody": {"required": True, "content": {"application/offset+octet-stream": {
        "schema": {"type": "string", "format": "binary"}}}},
    "parameters": [{"in": "header", "name": "Upload-Offset", "required": True, "schema": {"type": "integer"}}],
}
class UploadColumns:
    """What every resumable upload's row holds (a photo's, a voice note's): the phone's UUID, whose it is, the whole
    file's size and SHA-256, how much has arrived, and where it stands (uploading, then its kind's own states)."""

    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    received: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default="uploading")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


DONE = ("processing", "complete")  # every byte arrived and was checked: the phone is done


def start(model, code: str, user, data: dict, max_bytes: int, **fields):
    """The upload of ``data["uuid"]`` (created, True) or the one already started with the same file (False);
    the same UUID for another file, or another person's, is ``{code}.conflict``."""
    if data["size"] > max_bytes:
        raise ApiError(f"{code}.too_large", 422, limit=max_bytes)
    uuid = str(data["uuid"])
    existing = db.session.scalar(select(model).where(model.uuid == uuid))
    if existing is None:
        row = model(uuid=uuid, owner_id=user.id, size=data["size"], sha256=data["sha256"].lower(), **fields)
        try:
            with savepoint():
                db.session.add(row)
        except IntegrityError:  # the same upload started twice at once
            existing = db.session.scalar(select(model).where(model.uuid == uuid))
        else:
            return row, True
    if not (existing.owner_id == user.id and existing.size == data["size"]
            and existing.sha256 == data["sha256"].lower()):
        raise ApiError(f"{code}.conflict", 409)
    return existing, False


def own(model, user, uuid: str):
    """The caller's own upload (fresh from the database), else 404."""
    row = db.session.scalar(select(model).where(model.uuid == uuid, model.owner_id == user.id)
                            .execution_options(populate_existing=True))
    if row is None:
        raise NotFound()
    return row


def append(model, code: str, row, offset: int, chunk: bytes, part: Path, max_chunk: int,
           reload: Callable[[], object]) -> tuple[object, bool]:
    """Write ``chunk`` at ``offset`` into ``part``; (the upload, whether this chunk was its last). An upload
    already done answers as it is (a repeated last chunk whose answer was lost)."""
    if row.status in DONE:
        return row, False
    if offset != row.received:
        raise ApiError(f"{code}.offset_mismatch", 409, offset=row.received)
    if len(chunk) > max_chunk:
        raise ApiError(f"{code}.chunk_too_large", 413, limit=max_chunk)
    if offset + len(chunk) > row.size:
        raise ApiError(f"{code}.too_large", 422, limit=row.size)
    if not _claim(model, row, offset):  # the same chunk sent twice at once: the other one took it
        db.session.rollback()  # (it wrote nothing) ends this transaction's snapshot: the other's commit is seen
        row = reload()
        if row.status in DONE:
            return row, False  # the same answer as the one that finished it
        raise ApiError(f"{code}.offset_mismatch", 409, offset=row.received)
    part.parent.mkdir(parents=True, exist_ok=True)
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
    row.received = offset + len(chunk)
    row.updated_at = utcnow()
    return row, row.received == row.size


def _claim(model, row, offset: int) -> bool:
    """Take this upload for one chunk at ``offset``: a conditional update, held until the commit (a row lock on
    PostgreSQL, the write lock on SQLite). Another request for the same upload waits, then finds the offset moved
    (or the upload complete) and takes nothing."""
    claimed = db.session.execute(
        update(model).where(model.id == row.id, model.status == "uploading", model.received == offset)
        .values(updated_at=utcnow()).execution_options(synchronize_session=False))
    return claimed.rowcount == 1


def offset_header(headers) -> int:
    """The chunk's ``Upload-Offset`` header, a whole number >= 0 (a route's parsing, shared)."""
    try:
        offset = int(headers["Upload-Offset"])
        if offset < 0:
            raise ValueError
    except (KeyError, ValueError):
        raise ApiError("bad_request", 400, errors={"Upload-Offset": "required, a whole number >= 0"}) from None
    return offset


def answer(row, status: int = 200):
    """A route's answer about an upload: the row, with where it stands in the headers."""
    return row, status, {"Upload-Offset": str(row.received), "Upload-Length": str(row.size)}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
