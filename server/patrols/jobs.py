"""The patrols' scheduled run: PostGIS partitions for the coming months."""
from __future__ import annotations

import logging

from ..extensions import db
from ..jobs import job
from ..migration_support import ensure_patrol_partitions

log = logging.getLogger(__name__)


@job("patrols.partitions")
def partitions(ahead: int = 3) -> None:
    """PostGIS: this month's patrol partition and the next ``ahead`` (db upgrade does it too; deploys
    may be rarer than months). Nothing to do on SQLite."""
    with db.engine.begin() as conn:
        made = ensure_patrol_partitions(conn, int(ahead))
    log.info("patrol partitions ensured", extra={"made": made})
