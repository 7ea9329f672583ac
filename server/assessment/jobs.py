"""The assessment's scheduled run: lock last month (cron, on the 3rd: ``riverpatrol jobs enqueue
assessment.lock_last_month``)."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select

from shared_models.clock import local_today

from ..errors import ApiError
from ..extensions import db
from ..grids.models import OrgUnit
from ..jobs import job
from ..transaction import savepoint
from .service import lock, lock_over

log = logging.getLogger(__name__)


@job("assessment.lock_last_month")
def lock_last_month(unit_code: str | None = None) -> None:
    """Lock last month (Asia/Shanghai) for one unit, or for every county when none is named."""
    first = local_today().replace(day=1)
    period = (first - dt.timedelta(days=1)).strftime("%Y-%m")
    q = select(OrgUnit).where(OrgUnit.code == unit_code) if unit_code else select(OrgUnit).where(
        OrgUnit.level == "county")
    for unit in db.session.scalars(q).all():
        if lock_over(unit, period) is not None:
            continue  # locked already: running twice is harmless
        try:
            with savepoint():  # one county refused leaves the others' locks in the job's unit of work
                snapshot = lock(None, unit, period)
        except ApiError as exc:
            log.warning("month not locked", extra={"unit": unit.code, "period": period, "code": exc.code})
            continue
        log.info("month locked", extra={"unit": unit.code, "period": period, "lock_id": snapshot.id})
