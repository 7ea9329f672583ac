"""The scheduled runs, as jobs: the daily escalation, the month's lock, pruning uploads.

cron (or a systemd timer) calls ``riverpatrol jobs enqueue <name>``; with the rq backend a
worker runs them, otherwise they run in the calling process.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from shared_models.clock import local_today

from .extensions import db
from .jobs import job

log = logging.getLogger(__name__)


@job("cases.escalate")
def escalate() -> None:
    from .cases.workflow import escalate_overdue

    events = escalate_overdue()
    db.session.commit()
    log.info("escalation run", extra={"escalated": len(events)})


@job("assessment.lock_last_month")
def lock_last_month(unit_code: str | None = None) -> None:
    """Lock last month (Asia/Shanghai) for one unit, or for every county when none is named."""
    from .assessment.service import lock, lock_over
    from .errors import ApiError
    from .grids.models import OrgUnit

    first = local_today().replace(day=1)
    period = (first - dt.timedelta(days=1)).strftime("%Y-%m")
    q = select(OrgUnit).where(OrgUnit.code == unit_code) if unit_code else select(OrgUnit).where(
        OrgUnit.level == "county")
    for unit in db.session.scalars(q).all():
        if lock_over(unit, period) is not None:
            continue  # locked already: running twice is harmless
        try:
            snapshot = lock(None, unit, period)
        except ApiError as exc:
            db.session.rollback()
            log.warning("month not locked", extra={"unit": unit.code, "period": period, "code": exc.code})
            continue
        log.info("month locked", extra={"unit": unit.code, "period": period, "lock_id": snapshot.id})


@job("photos.prune")
def prune(older_than_hours: float = 48) -> None:
    from .photos.service import prune_partials

    log.info("unfinished uploads pruned",
             extra={"pruned": prune_partials(dt.timedelta(hours=max(24.0, older_than_hours)))})


@job("photos.reprocess")
def reprocess() -> None:
    """Queue again every photo still waiting for its job (a queue lost with Redis, say)."""
    from .jobs import enqueue
    from .photos.models import Photo

    for uuid in db.session.scalars(select(Photo.uuid).where(Photo.status == "processing")).all():
        enqueue("photos.process", uuid=uuid)


@job("patrols.partitions")
def partitions(ahead: int = 3) -> None:
    """PostGIS: this month's patrol partition and the next ``ahead`` (db upgrade does it too; deploys
    may be rarer than months). Nothing to do on SQLite."""
    from .migration_support import ensure_patrol_partitions

    with db.engine.begin() as conn:
        made = ensure_patrol_partitions(conn, int(ahead))
    log.info("patrol partitions ensured", extra={"made": made})
