"""Rules an administrator configures: effective-dated, scoped to an org unit, inherited downwards."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db
from ..grids.models import OrgUnit


class FrequencyRule(db.Model):
    """How often (巡河频次): ``min_count`` per window for a role at a grid level.

    The most specific scope wins: a county's rule overrides the province default for the
    grids below that county.
    """

    __tablename__ = "frequency_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20), default="inspector")
    grid_level: Mapped[str | None] = mapped_column(String(20))  # the card's grid level; None: any
    count_mode: Mapped[str] = mapped_column(String(10), default="sessions")  # sessions | days
    window: Mapped[str] = mapped_column(String(12))
    rolling_days: Mapped[int | None] = mapped_column(Integer)
    min_count: Mapped[int] = mapped_column(Integer)
    min_gap_hours: Mapped[int | None] = mapped_column(Integer)
    active_months: Mapped[list | None] = mapped_column(JSON)  # e.g. [3..12]; None: all year
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()
