"""One tile package per county (the latest import wins): what the phone needs to fetch and check it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared_models.clock import utcnow

from ..db import UTCDateTime
from ..extensions import db
from ..grids.models import OrgUnit


class Basemap(db.Model):
    __tablename__ = "basemaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)  # the county
    name: Mapped[str] = mapped_column(String(200))
    attribution: Mapped[str] = mapped_column(String(500), default="")
    tile_format: Mapped[str] = mapped_column(String(10))  # png | jpg
    min_zoom: Mapped[int] = mapped_column(Integer)
    max_zoom: Mapped[int] = mapped_column(Integer)
    west: Mapped[float] = mapped_column(Float)
    south: Mapped[float] = mapped_column(Float)
    east: Mapped[float] = mapped_column(Float)
    north: Mapped[float] = mapped_column(Float)
    tiles: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    imported_by_id: Mapped[int | None] = mapped_column(Integer)  # a user id, or None from the command line
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()
