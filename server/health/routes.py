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


@blp.get("/health")
@blp.response(200, HealthSchema)
def health():
    """运行状态 Database engine and spatial library in use"""
    return {"status": "ok", **engine_info()}


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
    above the reserve, job queue reachable (rq). 503 takes the server out of the load balancer."""
    checks = {
        "database": _check(_database),
        "photo_storage": _check(lambda: storage().check()),
        "jobs": _check(ping),
    }
    ok = all(c["ok"] for c in checks.values())
    return {"status": "ready" if ok else "not_ready", "checks": checks}, 200 if ok else 503


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
    from flask import current_app

    with db.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
        current = MigrationContext.configure(conn).get_current_heads()
    head = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config()).get_heads()
    return {"ok": set(current) == set(head), "revision": ",".join(current), "head": ",".join(head)}
