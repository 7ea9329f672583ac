"""The API's frame: health, OpenAPI, and JSON errors with stable codes."""
import pytest

from .conftest import make_app


def test_health_names_engine_and_spatial_library(engine_name, empty_api):
    r = empty_api.get("/api/v1/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["spatial"] == engine_name
    assert body["spatial_version"][0].isdigit()
    assert body["engine"] == {"spatialite": "sqlite", "postgis": "postgresql"}[engine_name]


def test_openapi_describes_the_api(engine_name, empty_api):
    spec = empty_api.get("/api/v1/openapi.json").json()
    assert spec["info"]["title"].startswith("RiverPatrol")
    for path in ("/api/v1/auth/login", "/api/v1/me/cards", "/api/v1/grids/import", "/api/v1/health"):
        assert path in spec["paths"], path
    assert "bearerAuth" in spec["components"]["securitySchemes"]
    # the documented error body is ours: a string code and bilingual messages
    props = spec["components"]["schemas"]["Error"]["properties"]
    assert props["code"]["type"] == "string" and "message_en" in props


@pytest.mark.parametrize("method,path,status,code", [
    ("GET", "/api/v1/no-such-thing", 404, "not_found"),
    ("DELETE", "/api/v1/health", 405, "method_not_allowed"),
    ("GET", "/api/v1/me", 401, "auth.unauthenticated"),
    ("POST", "/api/v1/auth/login", 422, "validation_error"),
])
def test_errors_are_json_with_stable_codes(engine_name, empty_api, method, path, status, code):
    r = empty_api.request(method, path, json={} if method == "POST" else None)
    assert r.status_code == status
    body = r.json()
    assert body["code"] == code
    assert body["message"] and body["message_en"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])  # Chinese first


def test_body_over_limit_is_413(engine_name, fresh_db):
    from werkzeug.test import Client

    app = make_app(fresh_db(demo=False), MAX_CONTENT_LENGTH=1024)
    r = Client(app).post("/api/v1/auth/login", data=b"x" * 4096, content_type="application/json")
    assert r.status_code == 413
    assert r.get_json()["code"] == "payload_too_large"


def test_unexpected_failure_is_json_500_without_internals(engine_name, fresh_db):
    from werkzeug.test import Client

    app = make_app(fresh_db(demo=False))

    def boom():
        raise RuntimeError("secret internals")

    app.add_url_rule("/api/v1/boom", "boom", boom)
    r = Client(app).get("/api/v1/boom")
    assert r.status_code == 500
    body = r.get_json()
    assert body["code"] == "internal_error"
    assert "secret" not in r.get_data(as_text=True)


def test_health_details_only_for_internal_callers(engine_name, empty_api, app):
    from .addresses import from_address

    app.config.update(HEALTH_NETWORKS="127.0.0.1/32", HEALTH_TOKEN="monitor-token-0123456789abcdef")
    outside = from_address(empty_api, "127.0.0.2")
    assert outside.get("/api/v1/health").json() == {"status": "ok"}
    r = outside.get("/api/v1/health/ready")
    assert r.status_code == 200 and r.json() == {"status": "ready"}  # the load balancer still hears it
    assert outside.get("/api/v1/health/ready", headers={"X-Health-Token": "guess"}).json() == {"status": "ready"}
    monitor = outside.get("/api/v1/health/ready", headers={"X-Health-Token": "monitor-token-0123456789abcdef"})
    assert monitor.json()["checks"]["database"]["ok"] is True
    inside = empty_api.get("/api/v1/health").json()  # 127.0.0.1: versions for the operator
    assert inside["engine"] and inside["spatial_version"]
    assert empty_api.get("/api/v1/health/ready").json()["checks"]["photo_storage"]["detail"]["free_bytes"] > 0
    app.config["PHOTO_MIN_FREE_BYTES"] = 10**18  # a disk below its reserve
    r = outside.get("/api/v1/health/ready")
    assert r.status_code == 503 and r.json() == {"status": "not_ready"}
    r = empty_api.get("/api/v1/health/ready")
    assert r.status_code == 503 and r.json()["checks"]["photo_storage"]["ok"] is False
