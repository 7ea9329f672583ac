"""The cases' scheduled run: the daily escalation (督办) of overdue cases (cron: ``riverpatrol jobs
enqueue cases.escalate``)."""
from __future__ import annotations

import logging

from ..jobs import job
from .workflow import escalate_overdue

log = logging.getLogger(__name__)


@job("cases.escalate")
def escalate() -> None:
    events = escalate_overdue()
    log.info("escalation run", extra={"escalated": len(events)})
