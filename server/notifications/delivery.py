"""Sending the queued deliveries, each at most once: claimed by a conditional UPDATE (``pending``/``failed`` and
due -> ``sending``) that is committed before anything goes out, so two workers never both send one; sent in a
unit of work of its own after that commit; the outcome recorded. A failure is tried again with backoff by the
retry run (``riverpatrol notifications retry``, or the job ``notifications.retry``, from cron every few minutes),
which also sends what waited for the end of someone's quiet hours. A ``sent`` delivery is never claimed again.

A worker that dies between its claim and its record leaves the delivery ``sending``: the claim's lease
(``next_attempt_at``) runs out and the retry run takes it over. That is the one case in which a message can go
out twice (it went, and the record of it was lost); every other path sends it once.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select, update

from shared_models.clock import utcnow

from ..extensions import db
from ..transaction import after_commit
from .channels import Outcome, channel_for
from .models import Delivery

log = logging.getLogger(__name__)
LEASE = dt.timedelta(minutes=5)
BACKOFF = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2),
           dt.timedelta(hours=6))  # after the 1st, 2nd... failure; then given up
MAX_ATTEMPTS = len(BACKOFF) + 1
CLAIMABLE = ("pending", "failed", "sending")  # (sending: only once its lease has run out)
RETRY_BATCH = 500


def claim(delivery_id: int, now: dt.datetime) -> bool:
    """Take the delivery for this worker if it is due and nobody has it (the row is locked until commit)."""
    done = db.session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.status.in_(CLAIMABLE),
                               Delivery.next_attempt_at <= now)
        .values(status="sending", attempts=Delivery.attempts + 1, next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False))
    return done.rowcount == 1


def record(delivery: Delivery, outcome: Outcome, now: dt.datetime) -> None:
    delivery.status = outcome.status
    delivery.last_error = outcome.error
    delivery.next_attempt_at = None
    if outcome.status == "sent":
        delivery.sent_at = now
    elif outcome.status == "failed" and outcome.retry and delivery.attempts < MAX_ATTEMPTS:
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
    db.session.flush()


def send_claimed(delivery_id: int, results: list | None = None) -> None:
    """Send one claimed delivery and record how it went (run after the claim is committed)."""
    delivery = db.session.get(Delivery, delivery_id, populate_existing=True)
    if delivery is None or delivery.status != "sending":
        return
    person = delivery.notification.user
    if person is not None and not person.active:
        outcome = Outcome.skipped("账号已停用 / the account is deactivated")
    else:
        try:
            outcome = channel_for(delivery.channel).send(delivery)
        except Exception as exc:  # a channel's bug must not leave the delivery claimed until its lease ends
            log.exception("notification channel failed")
            outcome = Outcome.failed(f"{type(exc).__name__}: {exc}")
    record(delivery, outcome, utcnow())
    log.info("notification delivery", extra={"delivery": delivery.id, "channel": delivery.channel,
                                             "status": delivery.status, "attempts": delivery.attempts})
    if results is not None:
        results.append(delivery.status)


def dispatch(delivery_ids: list[int], results: list | None = None) -> int:
    """Claim each delivery that is due, and send each once the claims are committed; returns how many were claimed
    (``results`` gets each one's status when it has been sent)."""
    now, claimed = utcnow(), 0
    for delivery_id in delivery_ids:
        if claim(int(delivery_id), now):
            claimed += 1
            after_commit(send_claimed, int(delivery_id), results)
    return claimed


def due(now: dt.datetime, limit: int = RETRY_BATCH) -> list[int]:
    """Deliveries to send now: waiting (quiet hours), failed and due for a retry, or claimed by a worker gone."""
    return list(db.session.scalars(select(Delivery.id).where(
        Delivery.status.in_(CLAIMABLE), Delivery.next_attempt_at <= now)
        .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)))
