"""Org units (grids) in a hierarchy, rivers and their segments."""
from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared_models.clock import utcnow

from ..db import UTCDateTime
from ..extensions import db


def path_codes(path: str) -> list[str]:
    """The codes on an org unit's path, root first: "/610112/610112007/" -> ["610112", "610112007"]."""
    return [c for c in path.strip("/").split("/") if c]


class OrgUnit(db.Model):
    """A grid (网格): county, township, village... ``path`` holds the codes from the root."""

    __tablename__ = "org_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    # "/610112/610112007/610112007003/": a prefix match selects a whole subtree.
    path: Mapped[str] = mapped_column(String(500), index=True)
    boundary: Mapped[WKBElement | None] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True),
                                                        nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id])

    @property
    def ancestor_codes(self) -> list[str]:
        """The codes from the root down to this unit (its own code last)."""
        return path_codes(self.path)


class River(db.Model):
    __tablename__ = "rivers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RiverSegment(db.Model):
    """A stretch of one river inside one grid (河段); length measured in metres on the ellipsoid."""

    __tablename__ = "river_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    river_id: Mapped[int] = mapped_column(ForeignKey("rivers.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    bank: Mapped[str] = mapped_column(String(10), default="both")
    geom: Mapped[WKBElement] = mapped_column(Geometry("LINESTRING", srid=4326, spatial_index=True), nullable=False)
    length_m: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    river: Mapped[River] = relationship()
    grid: Mapped[OrgUnit] = relationship()
