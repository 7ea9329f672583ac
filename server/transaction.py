"""The transaction boundary: services add and flush; whoever answers the request, runs the command or
the job (a route, the console's form, the CLI, the demo loader) commits once, through this helper.
A refusal anywhere inside rolls back everything the block wrote."""
from __future__ import annotations

from contextlib import contextmanager

from .extensions import db


@contextmanager
def unit_of_work():
    """Usable as ``with unit_of_work():`` or as a decorator of a route or command."""
    try:
        yield db.session
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
