"""Each person's inbox (消息): what the events write there, each once, with the e-mail and SMS each person wants
queued beside it; reading and marking read (one's own only: anyone else's is 404)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from shared_models.clock import utcnow
from shared_models.enums import Role

from .. import jobs
from ..auth.models import RoleGrant, User
from ..errors import NotFound
from ..extensions import db
from ..grids.models import OrgUnit
from ..transaction import after_commit, savepoint, unit_of_work
from . import preferences
from .models import Delivery, Notification
from .robots import key_of

MAX_PAGE = 100
API, CONSOLE = "/api/v1/", "/console/"


def console_path(url: str | None) -> str | None:
    """A document's address for people at a desk: the console serves each one the API links to (a 督办单's PDF) at the
    same path under /console/, behind its sign-in, where the API's needs a bearer token."""
    return CONSOLE + url.removeprefix(API) if url and url.startswith(API) else url


@dataclass(frozen=True)
class Message:
    """What an event says (plain Chinese), what it links to, and the key that makes it once per recipient."""

    kind: str
    title: str
    body: str
    dedupe: str
    target_type: str | None = None
    target_id: str | None = None
    url: str | None = None


def staff_of(unit_id: int | None) -> list[User]:
    """The people acting for a unit (holding the department capability there)."""
    if unit_id is None:
        return []
    return list(db.session.scalars(select(User).join(RoleGrant, RoleGrant.user_id == User.id).where(
        RoleGrant.role == Role.DEPARTMENT, RoleGrant.org_unit_id == unit_id, User.active.is_(True))
        .order_by(User.id)))


def _insert(note: Notification) -> Notification | None:
    """The notification, unless its recipient already has this event (also when another run wrote it just now)."""
    owner = Notification.user_id == note.user_id if note.user_id is not None else \
        Notification.org_unit_id == note.org_unit_id
    if db.session.scalar(select(Notification.id).where(owner, Notification.dedupe_key == note.dedupe_key)):
        return None
    try:
        with savepoint():
            db.session.add(note)
            db.session.flush()
    except IntegrityError:
        return None
    return note


def _note(msg: Message, **owner) -> Notification:
    return Notification(kind=msg.kind, title=msg.title[:200], body=msg.body, dedupe_key=msg.dedupe[:200],
                        target_type=msg.target_type, target_id=msg.target_id, url=msg.url, **owner)


def _queue(deliveries: list[Delivery], now: dt.datetime) -> None:
    """Send what is due once this is committed (never inside the event's own transaction); what waits for the end
    of quiet hours is sent by the retry run (``riverpatrol notifications retry``)."""
    db.session.flush()
    due = [d.id for d in deliveries if d.next_attempt_at <= now]
    if due:
        after_commit(jobs.enqueue, "notifications.deliver", delivery_ids=due)


def notify(people: Iterable[User | None], msg: Message, skip: int | None = None) -> list[Notification]:
    """The message in each person's inbox (once per event; not to ``skip``, who did what it tells), and the e-mail
    and SMS each wants of this kind, deferred to the end of their quiet hours."""
    now, made, deliveries = utcnow(), [], []
    available = preferences.available()
    seen: set[int] = set()
    for user in people:
        if user is None or user.id in seen or user.id == skip or not user.active:
            continue
        seen.add(user.id)
        note = _insert(_note(msg, user_id=user.id))
        if note is None:
            continue
        made.append(note)
        pref = preferences.of(user.id)
        at = preferences.quiet_until(pref, now) or now
        for channel, address in (("email", pref.email if pref else None), ("sms", user.phone)):
            if available[channel] and address and preferences.wants(pref, msg.kind, channel):
                deliveries.append(Delivery(notification=note, channel=channel, address=address, next_attempt_at=at))
    db.session.add_all(deliveries)
    _queue(deliveries, now)
    return made


def notify_unit(unit: OrgUnit | None, msg: Message) -> Notification | None:
    """The message to the unit's own group robot, if it has one (a group: no one's quiet hours)."""
    if unit is None or not preferences.available()["wecom"] or not key_of(unit.id):
        return None
    note = _insert(_note(msg, org_unit_id=unit.id))
    if note is not None:
        now = utcnow()
        delivery = Delivery(notification=note, channel="wecom", address=f"wecom:{unit.id}", next_attempt_at=now)
        db.session.add(delivery)
        _queue([delivery], now)
    return note


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def page(user: User, limit: int = 30, before_id: int | None = None, unread_only: bool = False) -> dict:
    """The person's own notifications, newest first, ``limit`` at a time (then ``before_id`` = ``next_before_id``)."""
    limit = max(1, min(limit, MAX_PAGE))
    q = select(Notification).where(Notification.user_id == user.id)
    if before_id is not None:
        q = q.where(Notification.id < before_id)
    if unread_only:
        q = q.where(Notification.read_at.is_(None))
    rows = list(db.session.scalars(q.order_by(Notification.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "unread": unread_count(user), "next_before_id": rows[-1].id if more else None}


def mark_read(user: User, notification_id: int) -> Notification:
    with unit_of_work():
        note = db.session.scalar(select(Notification).where(Notification.id == notification_id,
                                                            Notification.user_id == user.id))
        if note is None:
            raise NotFound()
        if note.read_at is None:
            note.read_at = utcnow()
            db.session.flush()
        return note


def mark_all_read(user: User) -> dict:
    with unit_of_work():
        done = db.session.execute(update(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow())
            .execution_options(synchronize_session=False)).rowcount
    return {"marked": done, "unread": unread_count(user)}
