"""Create-once by a client UUID: the same UUID and body again answers as the first time.

A unique constraint on the UUID settles concurrent duplicates; the loser's insert rolls back to
its savepoint and it answers with the winner's record. It runs inside the caller's unit of work.
The body is compared through a hash of its canonical JSON, so the same UUID with another body is
a 409 and changes nothing.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import TypeVar

import orjson
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .errors import ApiError
from .extensions import db
from .transaction import savepoint

T = TypeVar("T")
log = logging.getLogger(__name__)


def body_hash(payload: dict) -> str:
    try:
        canonical = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS, default=str)
    except TypeError:  # an integer beyond 64 bits (e.g. in a checklist): orjson refuses, json does not
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                               default=str).encode()
    return hashlib.sha256(canonical).hexdigest()


def create_once(model: type[T], uuid: str, digest: str, build: Callable[[], T]) -> tuple[T, bool]:
    """The record for ``uuid``: built and written now (committed with the caller's unit of work), or
    the one stored before."""

    def existing() -> T | None:
        found = db.session.scalar(select(model).where(model.uuid == uuid))
        if found is not None and found.body_hash != digest:
            raise ApiError("idempotency.conflict", 409, uuid=uuid)
        return found

    found = existing()
    if found is not None:
        return found, False
    try:
        with savepoint():  # built inside it: what ``build`` adds on the way (a report's case) is undone too
            obj = build()
            db.session.add(obj)
    except IntegrityError:
        found = existing()
        if found is None:  # another unique key taken at the same instant (e.g. a case number): try again
            log.warning("create_once(%s): integrity error without a stored %s", model.__name__, uuid)
            raise ApiError("service.unavailable", 503, headers={"Retry-After": "1"}) from None
        return found, False
    return obj, True


def replayed_header(created: bool) -> dict:
    """Tells the phone whether this answer is a repeat of the first one."""
    return {"Idempotent-Replayed": "false" if created else "true"}
