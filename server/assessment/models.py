"""Locked assessment periods: immutable snapshots, and the audited corrections made after a lock."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared_models.clock import utcnow

from ..auth.models import User
from ..db import UTCDateTime
from ..extensions import db
from ..grids.models import OrgUnit
from ..patrols.models import Patrol


class AssessmentLock(db.Model):
    """A month of one county (or township) locked: its lines never change again."""

    __tablename__ = "assessment_locks"
    __table_args__ = (UniqueConstraint("org_unit_id", "period", name="uq_assessment_locks_org_unit_id_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM, Asia/Shanghai
    locked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rules: Mapped[dict] = mapped_column(JSON)  # every rule and plan used, as it read at the lock
    totals: Mapped[dict] = mapped_column(JSON)

    org_unit: Mapped[OrgUnit] = relationship()
    lines: Mapped[list[AssessmentLine]] = relationship(back_populates="lock", order_by="AssessmentLine.id")


class AssessmentLine(db.Model):
    __tablename__ = "assessment_lines"
    __table_args__ = (UniqueConstraint("lock_id", "inspector_id", name="uq_assessment_lines_lock_id_inspector_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lock_id: Mapped[int] = mapped_column(ForeignKey("assessment_locks.id"), index=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    score: Mapped[float | None] = mapped_column(Float)
    tier: Mapped[str | None] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(Integer)
    dismissal: Mapped[bool] = mapped_column(Boolean, default=False)
    line: Mapped[dict] = mapped_column(JSON)  # the whole line as shown: metrics, windows, items, pay

    lock: Mapped[AssessmentLock] = relationship(back_populates="lines")
    inspector: Mapped[User] = relationship()


class AssessmentCorrection(db.Model):
    """A change to a locked month: proposed (a late patrol, a review) or made by an admin, with its reason."""

    __tablename__ = "assessment_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    lock_id: Mapped[int] = mapped_column(ForeignKey("assessment_locks.id"), index=True)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # late_patrol | review | exemption | card | manual
    status: Mapped[str] = mapped_column(String(10), default="proposed")  # proposed | applied | dismissed
    patrol_id: Mapped[int | None] = mapped_column(ForeignKey("patrols.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[dict] = mapped_column(JSON)
    after: Mapped[dict] = mapped_column(JSON)

    lock: Mapped[AssessmentLock] = relationship()
    patrol: Mapped[Patrol | None] = relationship()


class MonthSignoff(db.Model):
    """A township's supervisor confirmed the month's assessment (with comments) before the county locks it."""

    __tablename__ = "assessment_signoffs"
    __table_args__ = (UniqueConstraint("org_unit_id", "period", name="uq_assessment_signoffs_org_unit_id_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    comment: Mapped[str] = mapped_column(Text, default="")

    org_unit: Mapped[OrgUnit] = relationship()
    signed_by: Mapped[User] = relationship()
