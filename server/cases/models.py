"""Problems found on the river (问题上报) and their cases (问题处置): one case per reported problem, its
state, and a ledger of every step."""
from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
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


class Case(db.Model):
    """The workflow state of one problem. ``version`` moves with every applied step (offline
    phones send the version they saw)."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(30), unique=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), unique=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    category: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20))
    assignee_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    rechecker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_on: Mapped[dt.date | None] = mapped_column(Date)
    deadline: Mapped[dt.date | None] = mapped_column(Date, index=True)  # last Asia/Shanghai day, inclusive
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    possible_duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # the assignee's request waiting for the manager: {"kind": "extension", "working_days"} | {"kind": "transfer",
    # "unit_id", "unit"}
    pending: Mapped[dict | None] = mapped_column(JSON)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow, index=True)

    problem: Mapped[Problem] = relationship(back_populates="case")
    grid: Mapped[OrgUnit] = relationship(foreign_keys=[grid_id])
    assignee_unit: Mapped[OrgUnit | None] = relationship(foreign_keys=[assignee_unit_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    rechecker: Mapped[User | None] = relationship(foreign_keys=[rechecker_id])
    possible_duplicate_of: Mapped[Case | None] = relationship(remote_side=[id])
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case", order_by="CaseEvent.id")


class CaseEvent(db.Model):
    """One step of a case, applied or not: who, when, where, from which state, with what evidence."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("client_uuid", name="uq_case_events_client_uuid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(20), index=True)
    outcome: Mapped[str] = mapped_column(String(10), default="applied")  # applied | stale (kept, for review)
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    base_version: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system (escalation run)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)  # received
    client_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # done (an offline phone's clock)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)  # photo uuids, distance to the case...
    client_uuid: Mapped[str | None] = mapped_column(String(36))

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


class CalendarDay(db.Model):
    """A day off that is not a weekend (法定节假日), or a weekend day worked (调休上班), set for an org
    unit and everything below it (the national calendar at the top, a county's own days below)."""

    __tablename__ = "calendar_days"
    __table_args__ = (UniqueConstraint("org_unit_id", "day", name="uq_calendar_days_org_unit_id_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(10))  # holiday | workday
    name: Mapped[str] = mapped_column(String(50), default="")


class ProblemCategory(db.Model):
    """A county's own category, or its thresholds for a built-in one (severity by measured quantity)."""

    __tablename__ = "problem_categories"
    __table_args__ = (UniqueConstraint("org_unit_id", "code", name="uq_problem_categories_org_unit_id_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    # e.g. {"quantity": "area_m2", "serious": 1000, "major": 5000}: the severity a measured quantity gives
    thresholds: Mapped[dict | None] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class EscalationNotice(db.Model):
    """A numbered 督办单, issued with each escalation step of an overdue case (its PDF is drawn from these fields,
    which never change once issued)."""

    __tablename__ = "escalation_notices"
    __table_args__ = (UniqueConstraint("county_id", "year", "seq", name="uq_escalation_notices_county_id_year_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(40))
    responsible: Mapped[str] = mapped_column(String(200))  # the unit and/or person the case is assigned to
    deadline: Mapped[dt.date] = mapped_column(Date)
    overdue_working_days: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship()
    county: Mapped[OrgUnit] = relationship()

    @property
    def number(self) -> str:
        return f"{self.county.name}河长办督〔{self.year}〕{self.seq}号"
