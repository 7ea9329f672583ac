"""Photos arrive in chunks (resumable) and are kept re-encoded with a thumbnail."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..db import UTCDateTime
from ..extensions import db
from ..uploads import UploadColumns


class Photo(UploadColumns, db.Model):
    """One photo, identified by the UUID the phone gave it (status: uploading | processing | complete | rejected).

    ``patrol_uuid`` / ``problem_uuid`` are the phone's ids of what it belongs to, so the
    link holds whichever of the two arrives first.
    """

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    problem_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    original_format: Mapped[str | None] = mapped_column(String(10))
    taken_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    exif_lon: Mapped[float | None] = mapped_column(Float)
    exif_lat: Mapped[float | None] = mapped_column(Float)
    # what the phone recorded when the photo was taken (migration 0012): its time, where the recorder was, and
    # whether it was taken in the app (camera) or picked from the phone's pictures (gallery)
    captured_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    capture_lon: Mapped[float | None] = mapped_column(Float)
    capture_lat: Mapped[float | None] = mapped_column(Float)
    capture_accuracy: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(10))

    owner: Mapped[User] = relationship()
