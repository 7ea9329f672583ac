"""The transaction boundary: services add and flush; whoever answers the request, runs the command or
the job (a route, the console's form, the CLI, a job, the demo loader) commits once, through this helper.
A refusal anywhere inside rolls back everything the block wrote.

- Blocks nest: an inner block joins the outer one, and only the outermost commits.
- ``after_commit(fn, ...)`` runs ``fn`` once the outermost block has committed (domain events, files
  moved into place, jobs queued), each in a unit of work of its own; a rollback forgets it, so nothing
  is announced that did not happen.
- A refusal that is itself a record (``ApiError(..., keep=True)``: a photo upload discarded after its
  checks) commits what was written before it is answered.
- ``savepoint()`` lets one insert lose a race (a unique key taken at the same instant) without
  undoing the rest of the block.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

from .errors import ApiError
from .extensions import db

_DEPTH = "riverpatrol.uow_depth"
_AFTER = "riverpatrol.after_commit"


@contextmanager
def unit_of_work() -> Iterator:
    """Usable as ``with unit_of_work():`` or as a decorator of a route, command or job."""
    info = db.session.info
    depth = info.get(_DEPTH, 0)
    info[_DEPTH] = depth + 1
    try:
        yield db.session
    except BaseException as exc:
        info[_DEPTH] = depth
        if depth == 0 and isinstance(exc, ApiError) and exc.keep:
            _commit()
        else:
            db.session.rollback()
            info.pop(_AFTER, None)
        raise
    info[_DEPTH] = depth
    if depth == 0:
        _commit()


def _commit() -> None:
    db.session.commit()
    while pending := db.session.info.pop(_AFTER, None):
        for fn in pending:
            with unit_of_work():
                fn()


def after_commit(fn: Callable, *args, **kwargs) -> None:
    """Run ``fn(*args, **kwargs)`` once the work in progress is committed (never if it is rolled back)."""
    if not db.session.info.get(_DEPTH):
        raise RuntimeError("after_commit outside a unit of work: wrap the caller in unit_of_work()")
    db.session.info.setdefault(_AFTER, []).append(partial(fn, *args, **kwargs))


@contextmanager
def savepoint() -> Iterator:
    """A nested transaction: an error inside undoes only what the block itself wrote."""
    conn = db.session.connection()
    if conn.dialect.name == "sqlite" and not conn.connection.dbapi_connection.in_transaction:
        # Python's sqlite3 opens a transaction only before a write; a SAVEPOINT outside one would be
        # its own transaction, and releasing it would commit at once. Open the block's transaction first,
        # as a writer (IMMEDIATE: it waits its turn under the busy timeout; a deferred one that read
        # first would be refused at once when another writer had committed since).
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    with db.session.begin_nested():
        yield db.session
