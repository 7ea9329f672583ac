"""One error type with stable codes, answered as JSON by one handler that also rolls back.

An id in the path beyond the database's integer range is a 404 like any unknown id (integers
in bodies and query strings are bounded by their schema field, ``schemas.Int``). Body sizes,
text no database can store and nesting are checked before any route: server/request_guard.py.
"""
from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from shared_models.errors import MESSAGES, message

from .extensions import db
from .schemas import DB_INT_MAX, DB_INT_MIN

log = logging.getLogger(__name__)

_STATUS_CODES = {
    400: "bad_request",
    401: "auth.unauthenticated",
    403: "auth.forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "auth.rate_limited",
}


# codes of the server's newer domains, until the phone needs them in shared_models/errors.py (same meaning forever)
SERVER_MESSAGES: dict[str, tuple[str, str]] = {
    "notification.invalid": ("通知设置有误", "The notification setting is invalid"),
}


def _message(code: str) -> tuple[str, str]:
    return SERVER_MESSAGES.get(code) or message(code)


class ApiError(Exception):
    """An error the client is told about: stable ``code``, HTTP ``status``, optional details."""

    def __init__(self, code: str, status: int = 400, *, errors: list | dict | None = None,
                 headers: dict | None = None, message: tuple[str, str] | None = None, keep: bool = False,
                 **extra) -> None:
        assert code in MESSAGES or code in SERVER_MESSAGES or message, code
        super().__init__(code)
        self.code = code
        self.message = message or SERVER_MESSAGES.get(code)
        self.status = status
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra
        self.keep = keep  # the refusal is itself a record: its unit of work commits what it wrote


class NotFound(ApiError):
    def __init__(self) -> None:
        super().__init__("not_found", 404)


class Forbidden(ApiError):
    def __init__(self) -> None:
        super().__init__("auth.forbidden", 403)


def error_body(code: str, errors=None, override: tuple[str, str] | None = None, **extra) -> dict:
    zh, en = override or _message(code)
    body = {"code": code, "message": zh, "message_en": en}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


def _database_unreachable(exc: Exception) -> bool:
    """The database is down or restarting (not a bad statement): the request may be retried."""
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, sa_exc.DBAPIError) and (exc.connection_invalidated
                                                or isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError))):
        text = str(exc.orig if exc.orig is not None else exc).lower()
        return exc.connection_invalidated or any(s in text for s in (
            "connection", "server closed", "terminating", "shutting down", "starting up", "could not connect",
            "database is locked", "the database system is"))
    return False


def init_app(app: Flask) -> None:
    @app.url_value_preprocessor
    def _ids_in_range(endpoint, values) -> None:
        if values and any(isinstance(v, int) and not DB_INT_MIN <= v <= DB_INT_MAX for v in values.values()):
            raise NotFound()

    def _rollback() -> None:
        try:
            db.session.rollback()
        except Exception:  # the connection itself may be what failed
            log.exception("rollback failed")

    @app.errorhandler(ApiError)
    def handle_api_error(exc: ApiError):
        _rollback()
        resp = jsonify(error_body(exc.code, exc.errors, exc.message, **exc.extra))
        resp.status_code = exc.status
        resp.headers.update(exc.headers)
        return resp

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        _rollback()
        status = exc.code or 500
        code = _STATUS_CODES.get(status, "bad_request" if status < 500 else "internal_error")
        errors = None
        data = getattr(exc, "data", None)  # flask-smorest / webargs put field errors here
        if isinstance(data, dict) and data.get("messages"):
            errors = data["messages"]
        resp = jsonify(error_body(code, errors))
        resp.status_code = status
        if status == 405 and exc.get_response().headers.get("Allow"):
            resp.headers["Allow"] = exc.get_response().headers["Allow"]
        return resp

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        _rollback()
        if _database_unreachable(exc):
            # a restart or failover: nothing was written (the transaction rolled back); the phone retries
            log.warning("database unreachable: %s", str(exc).splitlines()[0][:200])
            resp = jsonify(error_body("service.unavailable"))
            resp.status_code = 503
            resp.headers["Retry-After"] = "5"
            return resp
        log.exception("unhandled error")
        resp = jsonify(error_body("internal_error"))
        resp.status_code = 500
        return resp
