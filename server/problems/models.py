"""Problems found on the river (问题上报). The case workflow (issue 6) builds on this record."""
from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import JSON, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared_models.clock import utcnow

from ..auth.models import User
from ..db import UTCDateTime
from ..extensions import db
from ..grids.models import OrgUnit


class Problem(db.Model):
    __tablename__ = "problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # the grid the location falls in (cases are routed by place), else the reporter's card grid
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    patrol_uuid: Mapped[str | None] = mapped_column(String(36), index=True)
    category: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True), nullable=False)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    photo_uuids: Mapped[list] = mapped_column(JSON, default=list)
    reported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    reporter: Mapped[User] = relationship()
    grid: Mapped[OrgUnit | None] = relationship()
    case = relationship("Case", uselist=False, back_populates="problem", viewonly=True)
