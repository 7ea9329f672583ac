"""The photo job: re-encode a verified upload to the served size and its thumbnail."""
from __future__ import annotations

import datetime as dt
import logging
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from shared_models.clock import utcnow

from ..errors import ApiError
from ..extensions import db
from ..jobs import enqueue, job
from ..storage import storage
from ..transaction import after_commit
from . import images
from .models import Photo
from .service import FULL, ORIGINAL, THUMB, prune_partials, spool, verified_path

log = logging.getLogger(__name__)


@job("photos.process")
def process(uuid: str) -> None:
    photo = db.session.scalar(select(Photo).where(Photo.uuid == uuid))
    if photo is None or photo.status != "processing":
        return  # done already, or discarded: running twice is harmless
    cfg = current_app.config
    store = storage()
    spool_dir = spool()
    spool_dir.mkdir(parents=True, exist_ok=True)  # a worker on another machine may have none yet
    with tempfile.TemporaryDirectory(dir=spool_dir, prefix="job-") as tmp:
        tmp = Path(tmp)
        src = verified_path(uuid)
        if not src.exists():  # another machine took the upload: read the kept original
            src = tmp / "original"
            src.write_bytes(store.get_bytes(ORIGINAL(uuid)))
        full, thumb = tmp / "full.jpg", tmp / "thumb.jpg"
        try:
            info = images.process(src, full, thumb, max_pixels=cfg["PHOTO_MAX_PIXELS"],
                                  long_edge=cfg["PHOTO_LONG_EDGE"], thumb_edge=cfg["PHOTO_THUMB_EDGE"])
        except ApiError as exc:  # the header was sane but the pixels are not: nothing is served
            photo.status = "rejected"
            current_app.logger.warning("photo rejected by processing", extra={"photo": uuid, "code": exc.code})
            return
        store.put_file(THUMB(uuid), thumb)
        store.put_file(FULL(uuid), full)
    photo.width, photo.height, photo.original_format = info.width, info.height, info.original_format
    photo.taken_at, photo.exif_lon, photo.exif_lat = info.taken_at, info.lon, info.lat
    photo.status = "complete"
    photo.completed_at = utcnow()
    after_commit(verified_path(uuid).unlink, missing_ok=True)


@job("photos.prune")
def prune(older_than_hours: float = 48) -> None:
    """Unfinished uploads older than ``older_than_hours`` (at least a day), nightly."""
    log.info("unfinished uploads pruned",
             extra={"pruned": prune_partials(dt.timedelta(hours=max(24.0, older_than_hours)))})


@job("photos.reprocess")
def reprocess() -> None:
    """Queue again every photo still waiting for its job (a queue lost with Redis, say)."""
    for uuid in db.session.scalars(select(Photo.uuid).where(Photo.status == "processing")).all():
        after_commit(enqueue, "photos.process", uuid=uuid)
