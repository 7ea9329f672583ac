"""Patrols: one row each (never one per fix), with the analysis and the rules version that judged it."""
from __future__ import annotations

import datetime as dt

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared_models.clock import utcnow

from ..auth.models import User
from ..cards.models import ResponsibilityCard
from ..db import UTCDateTime
from ..extensions import db
from ..grids.models import RiverSegment

patrol_segments = Table(
    "patrol_segments",
    db.metadata,
    Column("patrol_id", Integer, ForeignKey("patrols.id", ondelete="CASCADE"), primary_key=True),
    Column("segment_id", Integer, ForeignKey("river_segments.id"), primary_key=True),
)


REVIEW_QUEUE = text("flagged AND review_status IS NULL")


class Patrol(db.Model):
    """On PostgreSQL the table is partitioned by Asia/Shanghai month of ``started_at`` (migration
    0009): there the key is (id, started_at), ``uuid`` is unique through ``patrol_keys``, and the
    foreign keys to ``patrols.id`` below point at ``patrol_keys.id``. ``id``, ``uuid`` and
    ``started_at`` never change once stored. On SQLite it is the plain table declared here."""

    __tablename__ = "patrols"
    __table_args__ = (
        Index("ix_patrols_inspector_id_updated_at", "inspector_id", "updated_at"),  # the phone's /me/changes
        Index("ix_patrols_review_queue", "grid_id", "started_at", postgresql_where=REVIEW_QUEUE,
              sqlite_where=REVIEW_QUEUE),  # flagged, waiting for a supervisor
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("responsibility_cards.id"), index=True)
    # walked on behalf of the card's holder (代巡) by ``inspector`` (the card's assistant): the holder's user id
    for_user_id: Mapped[int | None] = mapped_column(Integer)
    grid_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    source: Mapped[str] = mapped_column(String(10), default="app")  # app | gpx
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    ended_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # Columns that grow with the fixes are loaded only when asked for (deferred): reading patrols, one or
    # a list of 200, costs the same for 200,000 fixes as for a walk.
    # the encoded fixes exactly as received (shared_models.track codec): the record of truth
    track: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    fix_count: Mapped[int] = mapped_column(Integer)
    # the display line below (<= 500 vertices) as a geometry, for spatial queries (replay candidates by
    # bounding box); rows stored before 0011 hold every fix. Never the whole track: SpatiaLite reads a
    # geometry from text, in time quadratic in its vertices (19 s for 200,000)
    geom: Mapped[WKBElement | None] = mapped_column(Geometry("LINESTRING", srid=4326, spatial_index=True),
                                                    nullable=True, deferred=True)
    # made once at intake, so that no read costs more for more fixes (migration 0011 filled older rows):
    # what maps show, {"line": GeoJSON LineString of <= 500 vertices, "kmh": [per piece]} (export.display)
    display: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    # a bounded stand-in for the replay check of later uploads (shared_models.track.replay.sketch)
    replay_sketch: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    distance_m: Mapped[float] = mapped_column(Float)
    duration_s: Mapped[float] = mapped_column(Float)
    coverage: Mapped[float | None] = mapped_column(Float)
    valid: Mapped[bool] = mapped_column(Boolean, index=True)
    flagged: Mapped[bool] = mapped_column(Boolean, index=True)
    analysis: Mapped[dict] = mapped_column(JSON)
    analysis_version: Mapped[str] = mapped_column(String(40))
    rules_version: Mapped[str] = mapped_column(String(40))
    # a supervisor's decision (审核): cleared flags let a flagged patrol count; rejected never counts
    review_status: Mapped[str | None] = mapped_column(String(10), index=True)  # cleared | rejected
    reviewed_by_id: Mapped[int | None] = mapped_column(Integer)  # a user id (no FK: SQLite cannot add one)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    review_note: Mapped[str] = mapped_column(Text, default="")
    checklist: Mapped[dict] = mapped_column(JSON, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    lifecycle_events: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # any change the phone should hear about (a review, a re-judgement) moves this forward
    # (nullable only because rows from before it existed were back-filled by the migration)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow,
                                                           index=True)

    inspector: Mapped[User] = relationship(foreign_keys=[inspector_id])
    card: Mapped[ResponsibilityCard] = relationship()
    for_user: Mapped[User | None] = relationship(primaryjoin="foreign(Patrol.for_user_id) == User.id", viewonly=True)
    segments: Mapped[list[RiverSegment]] = relationship(secondary=patrol_segments, order_by=RiverSegment.code)

    @property
    def counts(self) -> bool:
        """Counts toward the quota now: valid, not rejected, and any flag cleared by a supervisor."""
        return bool(self.valid and self.review_status != "rejected"
                    and (not self.flagged or self.review_status == "cleared"))
    flags: Mapped[list[PatrolFlag]] = relationship(back_populates="patrol", cascade="all, delete-orphan",
                                                   order_by="PatrolFlag.code")


class PatrolFlag(db.Model):
    """One anomaly flag (fixed vocabulary) with its evidence; filtered on, so a row each."""

    __tablename__ = "patrol_flags"
    __table_args__ = (UniqueConstraint("patrol_id", "code", name="uq_patrol_flags_patrol_id_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patrol_id: Mapped[int] = mapped_column(ForeignKey("patrols.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(30), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)

    patrol: Mapped[Patrol] = relationship(back_populates="flags")
