"""Health for the process supervisor and the load balancer, details only for internal callers.

Anyone gets the status (``/health/ready`` answers 200 or 503 to every caller, so a load balancer
needs nothing configured); the engine and library versions, revisions, free disk space and
error texts go only to a caller inside ``HEALTH_NETWORKS`` (loopback by default: behind nginx
the client's address, from X-Forwarded-For) or one that sends ``X-Health-Token`` equal to
``HEALTH_TOKEN`` (a monitor outside those networks).
"""
import functools
import hmac
import ipaddress

from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..db import engine_info
from ..extensions import db
from ..jobs import ping
from ..storage import storage

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="运行状态 Health")


class HealthSchema(Schema):
    status = fields.String()
    engine = fields.String()
    engine_version = fields.String()
    spatial = fields.String()
    spatial_version = fields.String()


@functools.lru_cache(maxsize=8)
def _networks(listed: str) -> tuple:
    return tuple(ipaddress.ip_network(n.strip(), strict=False) for n in listed.split(",") if n.strip())


def internal_caller() -> bool:
    """A caller that may see versions, revisions, disk space and error texts."""
    cfg = current_app.config
    token = request.headers.get("X-Health-Token", "")
    if cfg["HEALTH_TOKEN"] and token and hmac.compare_digest(token.encode(), cfg["HEALTH_TOKEN"].encode()):
        return True
    try:
        address = ipaddress.ip_address((request.remote_addr or "").split("%", 1)[0])
    except ValueError:
        return False
    address = getattr(address, "ipv4_mapped", None) or address
    return any(address in net for net in _networks(cfg["HEALTH_NETWORKS"]))


@blp.get("/health")
@blp.response(200, HealthSchema)
def health():
    """运行状态 Up; for internal callers also the database engine and spatial library in use"""
    return {"status": "ok", **engine_info()} if internal_caller() else {"status": "ok"}


class LiveSchema(Schema):
    status = fields.String()


class CheckSchema(Schema):
    ok = fields.Boolean()
    detail = fields.Dict()


class ReadySchema(Schema):
    status = fields.String(metadata={"description": "ready | not_ready"})
    checks = fields.Dict(keys=fields.String(), values=fields.Nested(CheckSchema))


@blp.get("/health/live")
@blp.response(200, LiveSchema)
def live():
    """存活 Liveness: the process answers (touches nothing else; for the process supervisor)"""
    return {"status": "ok"}


@blp.get("/health/ready")
@blp.response(200, ReadySchema)
@blp.alt_response(503, schema=ReadySchema, description="not ready: a dependency failed")
def ready():
    """就绪 Readiness: database reachable and migrated to head, photo storage writable with space
    above the reserve, job queue reachable (rq). 503 takes the server out of the load balancer.
    Each check's detail only for internal callers."""
    checks = {
        "database": _check(_database),
        "photo_storage": _check(lambda: storage().check()),
        "jobs": _check(ping),
    }
    ok = all(c["ok"] for c in checks.values())
    body = {"status": "ready" if ok else "not_ready"}
    if internal_caller():
        body["checks"] = checks
    return body, 200 if ok else 503


def _check(fn) -> dict:
    try:
        detail = fn()
    except Exception as exc:  # any failure is the answer, not an error page
        db.session.rollback()
        return {"ok": False, "detail": {"error": type(exc).__name__, "message": str(exc).splitlines()[0][:200]}}
    ok = bool(detail.pop("ok", True))
    return {"ok": ok, "detail": detail}


def _database() -> dict:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with db.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
        current = MigrationContext.configure(conn).get_current_heads()
    head = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config()).get_heads()
    return {"ok": set(current) == set(head), "revision": ",".join(current), "head": ",".join(head)}
