"""Responsibility cards (网格化管理责任卡), versioned and effective-dated."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared_models.clock import utcnow
from shared_models.enums import DUTY_LABELS

from ..auth.models import User
from ..db import UTCDateTime
from ..extensions import db
from ..grids.models import OrgUnit, RiverSegment

card_segments = Table(
    "card_segments",
    db.metadata,
    Column("card_id", Integer, ForeignKey("responsibility_cards.id", ondelete="CASCADE"), primary_key=True),
    Column("segment_id", Integer, ForeignKey("river_segments.id"), primary_key=True),
)


class ResponsibilityCard(db.Model):
    """One version of a card. ``card_no`` is stable across versions; dates are Asia/Shanghai days.

    A version is in force from ``valid_from`` to ``valid_to`` inclusive (open-ended when null).
    """

    __tablename__ = "responsibility_cards"
    __table_args__ = (UniqueConstraint("card_no", "version", name="uq_responsibility_cards_card_no_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_no: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # the duty the card is held in: the role the county's frequency, validity and pay rules name
    duty: Mapped[str] = mapped_column(String(20), default="inspector", server_default="inspector")
    # a chief's assistant, who may patrol on the holder's behalf (代巡): a user id (no FK: SQLite cannot add one)
    assistant_id: Mapped[int | None] = mapped_column(Integer)
    duties: Mapped[list] = mapped_column(JSON, default=list)
    frequency_summary: Mapped[str] = mapped_column(String(200), default="")
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    change_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    inspector: Mapped[User] = relationship(foreign_keys=[inspector_id])
    supervisor: Mapped[User | None] = relationship(foreign_keys=[supervisor_id])
    assistant: Mapped[User | None] = relationship(primaryjoin="foreign(ResponsibilityCard.assistant_id) == User.id",
                                                  viewonly=True)
    grid: Mapped[OrgUnit] = relationship()

    @property
    def duty_label(self) -> str:
        return DUTY_LABELS.get(self.duty, (self.duty,))[0]
    segments: Mapped[list[RiverSegment]] = relationship(secondary=card_segments, order_by=RiverSegment.code)
