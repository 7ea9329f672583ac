"""Who is calling: the bearer token checked on every API route, and the role a route needs (else 403)."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g, request

from shared_models.enums import Role

from ..errors import ApiError, Forbidden
from . import service as auth_service
from .models import User

BEARER = [{"bearerAuth": []}]


def current_user() -> User:
    return g.user


def login_required(*roles: Role) -> Callable:
    """Require a valid access token; with ``roles``, require holding one of them (else 403)."""

    def decorator(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise ApiError("auth.unauthenticated", 401, headers={"WWW-Authenticate": "Bearer"})
            if g.get("device_session") is None:  # (the request guard signs in first on a large body)
                g.user, g.device_session = auth_service.authenticate(token.strip())
            if roles and not g.user.holds(*roles):
                raise Forbidden()
            return fn(*args, **kwargs)

        return wrapper

    return decorator
