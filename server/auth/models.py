"""People, the capabilities they hold at org units, their device sessions and the counters of failed sign-ins that
rate limiting keeps."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared_models.clock import utcnow
from shared_models.enums import ROLE_LABELS, ROLE_PRECEDENCE

from ..db import UTCDateTime
from ..extensions import db
from ..grids.models import OrgUnit


class User(db.Model):
    """A person. ``org_unit`` is where they belong; what they may do is in ``grants`` (capabilities, each held at an
    org unit). ``role`` is the first of those by ``ROLE_PRECEDENCE``, kept with them (what a list shows first, and
    what an older phone reads)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship()
    grants: Mapped[list[RoleGrant]] = relationship(back_populates="user", lazy="selectin", cascade="all, delete-orphan",
                                                   order_by="RoleGrant.id")

    @property
    def roles(self) -> list[str]:
        """The capabilities held, by precedence."""
        held = {g.role for g in self.grants}
        return [r for r in ROLE_PRECEDENCE if r in held]

    @property
    def role_names(self) -> str:
        """The roles held, in Chinese ("网格长、巡查员")."""
        return "、".join(ROLE_LABELS[r][0] for r in self.roles)

    def holds(self, *roles: str) -> bool:
        return any(g.role in roles for g in self.grants)

    @property
    def held_units(self) -> dict[str, int]:
        """{role: the id of the org unit it is held at}."""
        return {g.role: g.org_unit_id for g in self.grants}

    def unit_for(self, role: str) -> OrgUnit | None:
        """The org unit a capability is held at (None: not held)."""
        return next((g.org_unit for g in self.grants if g.role == role), None)


class RoleGrant(db.Model):
    """One capability a person holds at an org unit: patrol duty (``inspector``: may hold responsibility cards),
    supervising a unit (``supervisor``: its grids, cards, reviews and cases), administering a county (``admin``).
    A person holds each capability at most once, and may hold several (a township chief patrols and supervises)."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("user_id", "role", name="uq_role_grants_user_id_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="grants")
    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")


def holding(role: str):
    """A where-clause: the people who hold ``role``."""
    return User.id.in_(select(RoleGrant.user_id).where(RoleGrant.role == role))


class DeviceSession(db.Model):
    """One signed-in device. The refresh token is stored only as its SHA-256."""

    __tablename__ = "device_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    device_id: Mapped[str] = mapped_column(String(100))
    device_name: Mapped[str] = mapped_column(String(100), default="")
    refresh_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class LoginThrottle(db.Model):
    """One counter of failed sign-ins over a window (server/auth/throttle.py): per phone and
    address (``pa:<phone>|<address>``), per phone (``p:<phone>``), per address (``a:<address>``).
    A sign-in reserves its failure here before the password is checked; a success gives it back
    and marks the (phone, address) as the owner's (``last_success_at``)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
