"""Sign-in limits counted before the password is checked, that an attacker cannot turn on the owner.

Three counters of failures (rows of ``login_throttle``), each over its own window:

- **per (phone, address)**: ``LOGIN_MAX_FAILURES_PER_PHONE`` (5) per ``LOGIN_WINDOW_SECONDS``
  (15 min). It stops a guesser at one address, and only there: the owner signing in from
  anywhere else has a counter of their own, so failures elsewhere never lock them out.
- **per phone**, over all addresses: ``LOGIN_MAX_FAILURES_PER_PHONE_DAY`` (50) a day, applied
  only where the owner is not known, so many addresses guessing one account are stopped while
  the owner's own address (a success from it within ``LOGIN_KNOWN_DAYS``) and a device that
  signed in to the account within that time still get in.
- **per address**: ``LOGIN_MAX_FAILURES_PER_ADDRESS`` (20) per window. Beyond it that address
  may still try a phone with no failure that day (so a village office behind one NAT keeps
  signing in after one person's mistakes), but nothing else: a guess per account at most.

Atomic: before the password is checked, the attempt reserves one failure in each counter with a
single conditional insert-or-update (``INSERT ... ON CONFLICT DO UPDATE ... WHERE failures <
limit RETURNING``, the same on PostgreSQL and SQLite), committed before hashing. A counter at
its limit returns no row, and the attempt is a 429 with Retry-After without a password check,
so concurrent attempts get at most the limit of checks between them. A success gives its
reservations back and clears its (phone, address) counter; a failure keeps them.

The counters are the one store that commits on its own, outside the request's unit of work
(``server/transaction.py``): an attempt is counted whatever the request does next.

IPv6 addresses count by their /64 (what one subscriber holds); rows whose window is over and
that mark no recent success are deleted every few minutes (``prune``): the table stays bounded.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import math
import threading
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import case, delete, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from shared_models.clock import utcnow

from ..db import UTCDateTime
from ..errors import ApiError
from ..extensions import db
from .models import DeviceSession, LoginThrottle, User

DAY = dt.timedelta(days=1)
PRUNE_EVERY = dt.timedelta(minutes=10)
MIN_DEVICE_ID = 16  # shorter device ids ("unknown", "desktop") are guessable: they prove nothing
_table = LoginThrottle.__table__
_pruned = {"at": None}
_prune_lock = threading.Lock()


@dataclass
class Held:
    """The failures an attempt reserved, given back if it succeeds (or is never checked)."""

    source: str
    keys: list[str] = field(default_factory=list)


def network(address: str) -> str:
    """The address a limit counts: IPv4 as is, IPv6 by its /64."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return address[:64]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _take(key: str, now: dt.datetime, window: dt.timedelta, limit: int | None):
    """Count one failure on ``key`` unless it is at ``limit``: (failures, last_success_at) or None."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    over = _table.c.window_start <= now - window  # a window that ended: counting starts again
    stmt = insert(_table).values(key=key, failures=1, window_start=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_table.c.key],
        set_={"failures": case((over, 1), else_=_table.c.failures + 1),
              "window_start": case((over, literal(now, UTCDateTime())), else_=_table.c.window_start)},
        where=None if limit is None else or_(over, _table.c.failures < limit),
    ).returning(_table.c.failures, _table.c.last_success_at)
    return db.session.execute(stmt).first()


def _give_back(keys: list[str]) -> None:
    if keys:
        db.session.execute(update(_table).where(_table.c.key.in_(keys), _table.c.failures > 0)
                           .values(failures=_table.c.failures - 1))


def _refuse(held: Held, key: str, window: dt.timedelta):
    _give_back(held.keys)
    start = db.session.scalar(select(_table.c.window_start).where(_table.c.key == key))
    db.session.commit()
    now = utcnow()  # (a concurrent attempt may have opened the window after this one began)
    left = ((start or now) + window - now).total_seconds()
    retry = max(1, min(math.ceil(left), int(window.total_seconds())))
    raise ApiError("auth.rate_limited", 429, headers={"Retry-After": str(retry)}, retry_after=retry)


def _known_device(phone: str, device_id: str, since: dt.datetime) -> bool:
    if len(device_id) < MIN_DEVICE_ID:
        return False
    return db.session.scalar(select(DeviceSession.id).join(User).where(
        User.phone == phone, DeviceSession.device_id == device_id, DeviceSession.last_used_at > since).limit(1)) \
        is not None


def reserve(phone: str, address: str, device_id: str) -> Held:
    """Reserve this attempt's failures (committed), or refuse it with 429 before any hashing."""
    cfg = current_app.config
    now = utcnow()
    window = dt.timedelta(seconds=cfg["LOGIN_WINDOW_SECONDS"])
    net = network(address)
    _maybe_prune(now)
    held = Held(source=f"pa:{phone}|{net}")
    row = _take(held.source, now, window, cfg["LOGIN_MAX_FAILURES_PER_PHONE"])
    if row is None:
        _refuse(held, held.source, window)
    held.keys.append(held.source)
    since = now - dt.timedelta(days=cfg["LOGIN_KNOWN_DAYS"])
    known = (row.last_success_at is not None and row.last_success_at > since) or _known_device(phone, device_id, since)
    key = f"p:{phone}"
    row = _take(key, now, DAY, None if known else cfg["LOGIN_MAX_FAILURES_PER_PHONE_DAY"])
    if row is None:
        _refuse(held, key, DAY)
    held.keys.append(key)
    phone_failed_before = row.failures > 1
    key = f"a:{net}"
    row = _take(key, now, window, None if known else cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"])
    if row is not None:
        held.keys.append(key)
    elif phone_failed_before:  # an address at its limit may only try phones with no failures
        _refuse(held, key, window)
    db.session.commit()  # counted before the password is checked, whatever happens next
    return held


def release(held: Held) -> None:
    """The password was never checked (the server was busy): the attempt counts for nothing."""
    _give_back(held.keys)
    db.session.commit()


def succeeded(held: Held) -> None:
    """The right password: its reservations are given back, its (phone, address) is the owner's."""
    _give_back([k for k in held.keys if k != held.source])
    db.session.execute(update(_table).where(_table.c.key == held.source).values(failures=0,
                                                                                last_success_at=utcnow()))
    db.session.commit()


def prune(now: dt.datetime | None = None) -> int:
    """Delete counters whose window is over and that mark no success within ``LOGIN_KNOWN_DAYS``."""
    now = now or utcnow()
    known = now - dt.timedelta(days=current_app.config["LOGIN_KNOWN_DAYS"])
    done = db.session.execute(delete(_table).where(
        _table.c.window_start < now - max(DAY, dt.timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])),
        or_(_table.c.last_success_at.is_(None), _table.c.last_success_at < known)))
    return done.rowcount


def _maybe_prune(now: dt.datetime) -> None:
    with _prune_lock:
        due = _pruned["at"] is None or not dt.timedelta(0) <= now - _pruned["at"] < PRUNE_EVERY
        if due:
            _pruned["at"] = now
    if due:
        prune(now)
