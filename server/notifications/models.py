"""Notifications: each person's inbox, what they want sent where, each unit's group robot, and the log of every
outbound send (one per notification and channel)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared_models.clock import utcnow

from ..auth.models import User
from ..db import UTCDateTime
from ..extensions import db
from ..grids.models import OrgUnit


class Notification(db.Model):
    """One message to one person's inbox (``user_id``), or to a unit's group robot (``org_unit_id``, no person:
    the group is the unit's inbox). ``dedupe_key`` names the event: the same event never notifies one
    recipient twice, however often its job runs."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_user_id_dedupe_key"),
                      UniqueConstraint("org_unit_id", "dedupe_key", name="uq_notifications_org_unit_id_dedupe_key"),
                      Index("ix_notifications_user_id_read_at", "user_id", "read_at"))  # (the unread count)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    kind: Mapped[str] = mapped_column(String(30))  # a key of preferences.KINDS
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # what it is about: ("case", case_no) | ("patrol", uuid) | ("card", card_no); url: a document (a 督办单's PDF)
    target_type: Mapped[str | None] = mapped_column(String(20))
    target_id: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(String(300))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User | None] = relationship()
    org_unit: Mapped[OrgUnit | None] = relationship()


class Delivery(db.Model):
    """One outbound send of a notification on one channel, at most once (the unique key; and a send is claimed by a
    conditional UPDATE before it goes out, so two workers never both send it).

    ``status``: pending (waiting for ``next_attempt_at``: now, or the end of the person's quiet hours) ->
    sending (claimed; ``next_attempt_at`` is then the claim's lease: a worker that died is taken over after it)
    -> sent | failed (``next_attempt_at`` the retry, or none: given up) | skipped (nothing to send to any more)."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("notification_id", "channel", name="uq_deliveries_notification_id_channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"))
    channel: Mapped[str] = mapped_column(String(10))  # email | sms | wecom
    address: Mapped[str] = mapped_column(String(254))  # the e-mail address, the phone number, wecom:<org unit id>
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    notification: Mapped[Notification] = relationship()


class NotificationPreference(db.Model):
    """What one person wants sent where: ``channels`` {kind: {channel: on}} over the defaults, quiet hours
    (Asia/Shanghai; start after end spans midnight, e.g. 22:00-07:00) and an e-mail address."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))
    channels: Mapped[dict] = mapped_column(JSON, default=dict)
    quiet_start: Mapped[dt.time | None] = mapped_column(Time())
    quiet_end: Mapped[dt.time | None] = mapped_column(Time())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class UnitChannel(db.Model):
    """A unit's own 企业微信 group robot (its webhook key), set by the county's administrator."""

    __tablename__ = "notification_unit_channels"

    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), primary_key=True)
    wecom_key: Mapped[str | None] = mapped_column(String(100))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()
