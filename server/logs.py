"""Structured logs: one JSON object a line on stderr (production), with a request id.

Every request gets an id (nginx's ``X-Request-ID`` when it sends one, else a new one),
echoed in the response and written on every line logged while it runs, so one phone's
failed sync can be followed through nginx, gunicorn and the app. An access line per
request: method, path (never the query string), status, milliseconds, user id. Nothing
secret is logged: no headers, no bodies, no tokens.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import sys
import time
import uuid

import orjson
import sqlalchemy as sa
from flask import Flask, g, has_request_context, request

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access = logging.getLogger("server.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if has_request_context() and "request_id" in g:
            out["request_id"] = g.request_id
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def configure(fmt: str, level: str) -> None:
    """Once per process: the ``server`` loggers write to stderr in ``fmt`` (json | text)."""
    logger = logging.getLogger("server")
    if getattr(logger, "_riverpatrol_format", None) == fmt:
        return
    for h in list(logger.handlers):
        if getattr(h, "_riverpatrol", False):
            logger.removeHandler(h)
    handler = logging.StreamHandler(sys.stderr)
    handler._riverpatrol = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = fmt != "json"  # JSON lines go out once, not again through the root logger
    logger._riverpatrol_format = fmt  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])

    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        rid = g.get("request_id")
        if rid:
            response.headers["X-Request-ID"] = rid
            user = g.get("user")
            state = sa.inspect(user, raiseerr=False) if user is not None else None
            user_id = state.identity[0] if state is not None and state.identity else None  # no lazy load
            ms = round((time.perf_counter() - g.request_started) * 1000, 1)
            access.info("%s %s %s %sms", request.method, request.path, response.status_code, ms, extra={
                "method": request.method, "path": request.path, "status": response.status_code,
                "ms": ms,
                "user_id": user_id, "remote": request.remote_addr,
            })
        return response
