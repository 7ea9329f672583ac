"""Sign-in, tokens and device sessions (rate limits: throttle.py). Owns its transactions."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

import jwt
from flask import current_app
from sqlalchemy import select

from shared_models.clock import utcnow

from ..errors import ApiError
from ..extensions import db
from . import throttle
from .models import DeviceSession, User
from .passwords import HashingBusy, verify_password

BUSY_RETRY_SECONDS = 2


@dataclass
class IssuedTokens:
    access_token: str
    refresh_token: str | None
    expires_in: int
    session: DeviceSession


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _access_token(session: DeviceSession) -> tuple[str, int]:
    seconds = current_app.config["ACCESS_TOKEN_SECONDS"]
    now = utcnow()
    claims = {
        "sub": str(session.user_id),
        "sid": session.id,
        "typ": "access",
        "iat": now,
        "exp": now + dt.timedelta(seconds=seconds),
    }
    return jwt.encode(claims, current_app.config["SECRET_KEY"], algorithm="HS256"), seconds


PHONE_MAX = 20  # users.phone: a longer one names no account


def login(phone: str, password: str, device_id: str, device_name: str, address: str) -> IssuedTokens:
    """Tokens for the right password; failures are counted before it is checked (auth/throttle.py)."""
    if not 1 <= len(phone) <= PHONE_MAX:
        raise ApiError("auth.invalid_credentials", 401)
    held = throttle.reserve(phone, address, device_id)
    user = db.session.scalar(select(User).where(User.phone == phone))
    try:
        ok = verify_password(user.password_hash if user else None, password, address=throttle.network(address))
    except HashingBusy:
        throttle.release(held)
        raise ApiError("auth.busy", 503, headers={"Retry-After": str(BUSY_RETRY_SECONDS)},
                       retry_after=BUSY_RETRY_SECONDS) from None
    if not ok:
        raise ApiError("auth.invalid_credentials", 401)  # its failure was counted by reserve
    throttle.succeeded(held)
    if not user.active:
        raise ApiError("auth.account_inactive", 403)
    now = utcnow()
    # Signing in again on the same device (e.g. after reinstalling the app) replaces its old session.
    for old in db.session.scalars(select(DeviceSession).where(
            DeviceSession.user_id == user.id, DeviceSession.device_id == device_id,
            DeviceSession.revoked_at.is_(None))):
        old.revoked_at = now
    refresh = secrets.token_urlsafe(32)
    session = DeviceSession(
        id=str(uuid.uuid4()),
        user_id=user.id,
        device_id=device_id,
        device_name=device_name,
        refresh_hash=_sha256(refresh),
        expires_at=now + dt.timedelta(days=current_app.config["REFRESH_TOKEN_DAYS"]),
    )
    db.session.add(session)
    db.session.flush()
    access, seconds = _access_token(session)
    return IssuedTokens(access, refresh, seconds, session)


def refresh(refresh_token: str) -> IssuedTokens:
    """A new access token. The refresh token is not rotated: a phone on a weak network may
    never receive an answer, and rotation would then sign it out. Each use extends it."""
    session = db.session.scalar(select(DeviceSession).where(DeviceSession.refresh_hash == _sha256(refresh_token)))
    if session is None:
        raise ApiError("auth.token_invalid", 401)
    _check_session(session)
    now = utcnow()
    session.last_used_at = now
    session.expires_at = now + dt.timedelta(days=current_app.config["REFRESH_TOKEN_DAYS"])
    db.session.flush()
    access, seconds = _access_token(session)
    return IssuedTokens(access, None, seconds, session)


def _check_session(session: DeviceSession) -> None:
    if session.revoked_at is not None:
        raise ApiError("auth.token_revoked", 401)
    if session.expires_at <= utcnow():
        raise ApiError("auth.token_expired", 401)
    if not session.user.active:
        raise ApiError("auth.account_inactive", 403)


def authenticate(access_token: str) -> tuple[User, DeviceSession]:
    """The user and device session behind an access token; revocation takes effect at once."""
    try:
        claims = jwt.decode(access_token, current_app.config["SECRET_KEY"], algorithms=["HS256"],
                            options={"require": ["exp", "sub", "sid"]})
    except jwt.ExpiredSignatureError:
        raise ApiError("auth.token_expired", 401) from None
    except jwt.InvalidTokenError:
        raise ApiError("auth.token_invalid", 401) from None
    if claims.get("typ") != "access":
        raise ApiError("auth.token_invalid", 401)
    session = db.session.get(DeviceSession, claims["sid"])
    if session is None or str(session.user_id) != claims["sub"]:
        raise ApiError("auth.token_invalid", 401)
    _check_session(session)
    return session.user, session


def session_user(sid: str | None) -> User | None:
    """The user of the console's signed-in session ``sid``, or None (unknown, revoked, expired)."""
    device = db.session.get(DeviceSession, sid) if sid else None
    if device is None:
        return None
    try:
        _check_session(device)
    except ApiError:
        return None
    return device.user


def revoke(session: DeviceSession) -> None:
    if session.revoked_at is None:
        session.revoked_at = utcnow()
    db.session.flush()


def revoke_all(user: User) -> int:
    sessions = db.session.scalars(
        select(DeviceSession).where(DeviceSession.user_id == user.id, DeviceSession.revoked_at.is_(None))
    ).all()
    now = utcnow()
    for s in sessions:
        s.revoked_at = now
    db.session.flush()
    return len(sessions)


def active_sessions(user: User) -> list[DeviceSession]:
    return list(
        db.session.scalars(
            select(DeviceSession)
            .where(DeviceSession.user_id == user.id, DeviceSession.revoked_at.is_(None),
                   DeviceSession.expires_at > utcnow())
            .order_by(DeviceSession.created_at)
        )
    )
