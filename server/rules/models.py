"""Rules an administrator configures: effective-dated, scoped to an org unit, inherited downwards."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared_models.clock import utcnow

from ..db import UTCDateTime
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
    count_per: Mapped[str] = mapped_column(String(10), default="person")  # person | river | segment
    # raised requirement while a warning is out: [{"warning_type": null|"water_quality"..., "level": "red",
    # "min_count": 3}]; the strictest entry that applies wins
    overrides: Mapped[list | None] = mapped_column(JSON)
    min_gap_hours: Mapped[int | None] = mapped_column(Integer)
    active_months: Mapped[list | None] = mapped_column(JSON)  # e.g. [3..12]; None: all year
    # a patrol walked by the card's assistant on the holder's behalf (代巡) counts for the holder (Guangzhou 2021)
    counts_delegated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()


class ValidityRuleConfig(db.Model):
    """What makes a patrol count (有效巡河) for a role at a grid level; the patrol pipeline applies it."""

    __tablename__ = "validity_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20), default="inspector")
    grid_level: Mapped[str | None] = mapped_column(String(20))
    min_duration_min: Mapped[float | None] = mapped_column(Float)
    min_distance_m: Mapped[float | None] = mapped_column(Float)
    distance_on_segment: Mapped[bool] = mapped_column(Boolean, default=False)
    min_coverage: Mapped[float | None] = mapped_column(Float)
    tolerance_m: Mapped[float] = mapped_column(Float, default=30.0)
    required_checklist: Mapped[list | None] = mapped_column(JSON)  # checklist keys that must be ticked
    allowed_sources: Mapped[list | None] = mapped_column(JSON)  # app, gpx; None: all
    on_fail: Mapped[str] = mapped_column(String(10), default="invalid")  # invalid | flag
    # how a patrol may be travelled (foot, bicycle, e_bike; a motor vehicle never counts); None: foot and bicycle
    allowed_modes: Mapped[list | None] = mapped_column(JSON)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()


class Plan(db.Model):
    """A scoring plan (考核评分) or a pay plan (补贴发放); ``definition`` is checked by its kind's schema."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # scoring | pay
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20), default="inspector")
    grid_level: Mapped[str | None] = mapped_column(String(20))
    definition: Mapped[dict] = mapped_column(JSON)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()


class RiverWarning(db.Model):
    """A warning (预警) on rivers or segments that raises the required frequency while it lasts."""

    __tablename__ = "river_warnings"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    warning_type: Mapped[str] = mapped_column(String(20))  # notice | water_quality | problem
    level: Mapped[str] = mapped_column(String(10))  # yellow | orange | red
    river_ids: Mapped[list] = mapped_column(JSON, default=list)
    segment_ids: Mapped[list] = mapped_column(JSON, default=list)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Exemption(db.Model):
    """Leave or exemption (请假/免巡): days on which nothing is required of the person."""

    __tablename__ = "exemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    date_from: Mapped[dt.date] = mapped_column(Date)
    date_to: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
