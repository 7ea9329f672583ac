"""The notifications' jobs: sending what an event queued (after its commit), the retry run (cron, every few
minutes: ``riverpatrol jobs enqueue notifications.retry`` or ``riverpatrol notifications retry``) and the daily
reminders (cron, each morning: ``notifications.daily``)."""
from __future__ import annotations

import datetime as dt
import logging

from shared_models.clock import utcnow

from ..jobs import job
from . import delivery, reminders

log = logging.getLogger(__name__)


@job("notifications.deliver")
def deliver(delivery_ids: list[int]) -> None:
    """Send these deliveries (each claimed first: one already sent or taken by another worker is left alone)."""
    delivery.dispatch(delivery_ids)


@job("notifications.retry")
def retry() -> None:
    """Send what is due: failures whose backoff has passed, and what waited for the end of quiet hours."""
    claimed = delivery.dispatch(delivery.due(utcnow()))
    log.info("notification retry run", extra={"claimed": claimed})


@job("notifications.daily")
def daily(day: str | None = None) -> None:
    """Deadlines of the next working day, and patrol windows closing tomorrow unmet."""
    told = reminders.run(dt.date.fromisoformat(day) if day else None)
    log.info("notification reminders", extra=told)
