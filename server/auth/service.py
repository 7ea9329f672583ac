"""Sign-in, tokens, device sessions and login rate limiting. Owns its transactions."""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
import uuid
from dataclasses import dataclass

import jwt
from flask import current_app
from sqlalchemy import func, select

from ..db import utcnow
from ..errors import ApiError
from ..extensions import db
from .models import DeviceSession, LoginAttempt, User
from .passwords import verify_password


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


def _check_rate_limit(phone: str, address: str) -> None:
    cfg = current_app.config
    window = dt.timedelta(seconds=cfg["LOGIN_WINDOW_SECONDS"])
    since = utcnow() - window
    last_success = db.session.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.phone == phone, LoginAttempt.success.is_(True))
    )
    phone_since = max(since, last_success) if last_success else since
    checks = (
        (LoginAttempt.phone == phone, phone_since, cfg["LOGIN_MAX_FAILURES_PER_PHONE"]),
        (LoginAttempt.address == address, since, cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
    )
    for condition, start, limit in checks:
        failures = db.session.execute(
            select(func.count(), func.min(LoginAttempt.at)).where(
                condition, LoginAttempt.success.is_(False), LoginAttempt.at > start
            )
        ).one()
        if failures[0] >= limit:
            oldest = failures[1]
            if oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=dt.UTC)
            retry = max(1, math.ceil((oldest + window - utcnow()).total_seconds()))
            raise ApiError("auth.rate_limited", 429, headers={"Retry-After": str(retry)}, retry_after=retry)


def login(phone: str, password: str, device_id: str, device_name: str, address: str) -> IssuedTokens:
    _check_rate_limit(phone, address)
    user = db.session.scalar(select(User).where(User.phone == phone))
    ok = verify_password(user.password_hash if user else None, password)
    db.session.add(LoginAttempt(phone=phone, address=address, success=ok))
    db.session.commit()  # a failure must be counted even though we answer with an error
    if not ok:
        raise ApiError("auth.invalid_credentials", 401)
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
    db.session.commit()
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
    db.session.commit()
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


def revoke(session: DeviceSession) -> None:
    if session.revoked_at is None:
        session.revoked_at = utcnow()
    db.session.commit()


def revoke_all(user: User) -> int:
    sessions = db.session.scalars(
        select(DeviceSession).where(DeviceSession.user_id == user.id, DeviceSession.revoked_at.is_(None))
    ).all()
    now = utcnow()
    for s in sessions:
        s.revoked_at = now
    db.session.commit()
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
