"""Voice notes: recorded audio attached to a problem, instead of typing, uploaded in chunks like a photo."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..db import UTCDateTime
from ..extensions import db
from ..uploads import UploadColumns


class VoiceNote(UploadColumns, db.Model):
    """One recording, identified by the UUID the phone gave it (status: uploading | complete); ``problem_uuid`` is
    the phone's id of the problem it belongs to, so the link holds whichever of the two arrives first."""

    __tablename__ = "voice_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    container: Mapped[str | None] = mapped_column(String(8))  # m4a | 3gp | wav, recognised by the server
    duration_s: Mapped[float | None] = mapped_column(Float)
    recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # the phone's time of the recording

    owner: Mapped[User] = relationship()
