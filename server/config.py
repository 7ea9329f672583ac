"""Configuration from the environment. The embedded default needs none; production needs secrets."""
from __future__ import annotations

import os
from pathlib import Path

SPATIALITE_DEFAULT = "mod_spatialite"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    """Read once at app creation. Every value may be overridden by ``create_app(overrides)``."""

    def __init__(self, instance_path: str) -> None:
        self.ENV_MODE = os.environ.get("RIVERPATROL_ENV", "development")
        default_db = "sqlite:///" + str(Path(instance_path) / "riverpatrol.sqlite")
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("RIVERPATROL_DATABASE_URL", default_db)
        # the console's basemap: a tile URL template (Tianditu, OSM, an intranet server); unset: vectors only
        self.CONSOLE_TILES = os.environ.get("RIVERPATROL_CONSOLE_TILES") or None
        self.SECRET_KEY = os.environ.get("RIVERPATROL_SECRET_KEY")
        self.PHOTO_DIR = os.environ.get("RIVERPATROL_PHOTO_DIR", str(Path(instance_path) / "photos"))
        # photos: a directory (fs) or an S3-compatible bucket (s3: MinIO, Ceph RGW, OSS, COS, AWS)
        self.PHOTO_STORAGE = os.environ.get("RIVERPATROL_PHOTO_STORAGE", "fs")
        self.S3_BUCKET = os.environ.get("RIVERPATROL_S3_BUCKET", "")
        self.S3_ENDPOINT_URL = os.environ.get("RIVERPATROL_S3_ENDPOINT_URL") or None
        self.S3_REGION = os.environ.get("RIVERPATROL_S3_REGION") or None
        self.S3_PREFIX = os.environ.get("RIVERPATROL_S3_PREFIX", "")
        # below this much free disk the server refuses photo bytes (507) instead of filling the disk
        self.PHOTO_MIN_FREE_BYTES = _env_int("RIVERPATROL_PHOTO_MIN_FREE_BYTES", 64 * 1024 * 1024)
        # background jobs: inline (embedded default) or rq (a Redis queue for `riverpatrol worker`)
        self.JOBS_BACKEND = os.environ.get("RIVERPATROL_JOBS", "inline")
        self.REDIS_URL = os.environ.get("RIVERPATROL_REDIS_URL", "redis://127.0.0.1:6379/0")
        # logs: one JSON object a line (production) or plain text (development)
        self.LOG_FORMAT = os.environ.get("RIVERPATROL_LOG_FORMAT", "")
        self.LOG_LEVEL = os.environ.get("RIVERPATROL_LOG_LEVEL", "INFO")
        self.SQLITE_BUSY_TIMEOUT_MS = _env_int("RIVERPATROL_SQLITE_BUSY_TIMEOUT_MS", 30000)
        self.SPATIALITE_LIBRARY_PATH = os.environ.get("SPATIALITE_LIBRARY_PATH", SPATIALITE_DEFAULT)
        self.PHOTO_MAX_BYTES = _env_int("RIVERPATROL_PHOTO_MAX_BYTES", 20 * 1024 * 1024)
        self.PHOTO_CHUNK_MAX_BYTES = 256 * 1024
        # Phones shrink photos to 1600 px before queuing; 25 MP is far below Pillow's ~89 MP default.
        self.PHOTO_MAX_PIXELS = _env_int("RIVERPATROL_PHOTO_MAX_PIXELS", 25_000_000)
        self.PHOTO_LONG_EDGE = 1600
        self.PHOTO_THUMB_EDGE = 320
        # the largest body: patrol uploads and imports (server/request_guard.py names the routes)
        self.MAX_CONTENT_LENGTH = _env_int("RIVERPATROL_MAX_BODY_BYTES", 8 * 1024 * 1024)
        # every other route: sign-in, reports, forms (refused by Content-Length before it is read)
        self.MAX_SMALL_BODY_BYTES = _env_int("RIVERPATROL_MAX_SMALL_BODY_BYTES", 64 * 1024)
        self.ACCESS_TOKEN_SECONDS = _env_int("RIVERPATROL_ACCESS_TOKEN_SECONDS", 15 * 60)
        # A phone may stay offline for weeks; each use of the refresh token extends it.
        self.REFRESH_TOKEN_DAYS = _env_int("RIVERPATROL_REFRESH_TOKEN_DAYS", 30)
        # sign-in limits (server/auth/throttle.py): per (phone, address) and per address in the window,
        # per phone a day (not where the owner is known: an address or device that signed in before)
        self.LOGIN_MAX_FAILURES_PER_PHONE = _env_int("RIVERPATROL_LOGIN_MAX_FAILURES_PER_PHONE", 5)
        self.LOGIN_MAX_FAILURES_PER_ADDRESS = _env_int("RIVERPATROL_LOGIN_MAX_FAILURES_PER_ADDRESS", 20)
        self.LOGIN_WINDOW_SECONDS = _env_int("RIVERPATROL_LOGIN_WINDOW_SECONDS", 15 * 60)
        self.LOGIN_MAX_FAILURES_PER_PHONE_DAY = _env_int("RIVERPATROL_LOGIN_MAX_FAILURES_PER_PHONE_DAY", 50)
        self.LOGIN_KNOWN_DAYS = _env_int("RIVERPATROL_LOGIN_KNOWN_DAYS", 60)
        self.ORG_LEVELS = tuple(
            os.environ.get("RIVERPATROL_ORG_LEVELS", "province,city,county,township,village").split(",")
        )
        # Argon2 cost; tests lower it (hashing is deliberately slow).
        self.PASSWORD_HASH_TIME_COST = _env_int("RIVERPATROL_PASSWORD_TIME_COST", 3)
        self.PASSWORD_HASH_MEMORY_KIB = _env_int("RIVERPATROL_PASSWORD_MEMORY_KIB", 65536)
        # password checks at once per process (each holds PASSWORD_HASH_MEMORY_KIB), and how long a
        # sign-in waits for a free slot before it is answered 503 with Retry-After
        self.PASSWORD_HASH_CONCURRENCY = _env_int("RIVERPATROL_PASSWORD_HASH_CONCURRENCY", 2)
        self.LOGIN_HASH_WAIT_SECONDS = float(os.environ.get("RIVERPATROL_LOGIN_HASH_WAIT_SECONDS", 1))
        self.SQLALCHEMY_ENGINE_OPTIONS: dict = {}
        # flask-smorest / OpenAPI
        self.API_TITLE = "RiverPatrol 河巡 API"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api/v1"
        self.OPENAPI_JSON_PATH = "openapi.json"

    def finalize(self) -> None:
        """Fill derived values and refuse unsafe production settings."""
        if not self.SECRET_KEY:
            if self.ENV_MODE == "production":
                raise RuntimeError(
                    "RIVERPATROL_SECRET_KEY must be set in production / 生产环境必须设置 RIVERPATROL_SECRET_KEY"
                )
            self.SECRET_KEY = "development-only-not-a-secret-do-not-deploy"
        if len(self.SECRET_KEY) < 32 and self.ENV_MODE == "production":
            raise RuntimeError("RIVERPATROL_SECRET_KEY must be at least 32 characters")
        if not self.LOG_FORMAT:
            self.LOG_FORMAT = "json" if self.ENV_MODE == "production" else "text"
        if self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            import pysqlite3.dbapi2 as sqlite_module  # pyenv's sqlite3 cannot load extensions

            opts = self.SQLALCHEMY_ENGINE_OPTIONS
            opts.setdefault("module", sqlite_module)
            opts.setdefault("connect_args", {"timeout": 30})
        else:
            self.SQLALCHEMY_ENGINE_OPTIONS.setdefault("pool_pre_ping", True)
