"""Configuration from the environment. The embedded default needs none; production needs secrets."""
from __future__ import annotations

import ipaddress
import os
from pathlib import Path

SPATIALITE_DEFAULT = "mod_spatialite"
DEVELOPMENT_SECRET = "development-only-not-a-secret-do-not-deploy"


def missing_secret(where: str) -> str:
    """Why the server refuses to start without RIVERPATROL_SECRET_KEY, in Chinese and English."""
    return (f"未设置 RIVERPATROL_SECRET_KEY，{where} 拒绝启动：开发用的默认密钥只能在本机地址（127.0.0.1）上使用。"
            "请设置至少 32 个字符的随机密钥（如 openssl rand -hex 32 的输出）。"
            f" / RIVERPATROL_SECRET_KEY is not set, so {where} refuses to start: the development default secret "
            "is only accepted on a loopback address (127.0.0.1). Set a random secret of at least 32 characters "
            "(e.g. the output of openssl rand -hex 32).")


def is_loopback(host: str) -> bool:
    """Whether a bind address is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


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
        # set by server/wsgi.py: a server others reach never runs on the development secret
        self.REQUIRE_SECRET = False
        self.PHOTO_DIR = os.environ.get("RIVERPATROL_PHOTO_DIR", str(Path(instance_path) / "photos"))
        self.BASEMAP_DIR = os.environ.get("RIVERPATROL_BASEMAP_DIR", str(Path(instance_path) / "basemaps"))
        self.BASEMAP_MAX_BYTES = _env_int("RIVERPATROL_BASEMAP_MAX_BYTES", 500 * 1024 * 1024)
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
        # who sees health details (versions, revisions, disk space): these networks, or this token
        # in X-Health-Token; everyone else gets the status only
        self.HEALTH_NETWORKS = os.environ.get("RIVERPATROL_HEALTH_NETWORKS", "127.0.0.0/8,::1/128")
        self.HEALTH_TOKEN = os.environ.get("RIVERPATROL_HEALTH_TOKEN", "")
        self.SQLITE_BUSY_TIMEOUT_MS = _env_int("RIVERPATROL_SQLITE_BUSY_TIMEOUT_MS", 30000)
        self.SPATIALITE_LIBRARY_PATH = os.environ.get("SPATIALITE_LIBRARY_PATH", SPATIALITE_DEFAULT)
        self.PHOTO_MAX_BYTES = _env_int("RIVERPATROL_PHOTO_MAX_BYTES", 20 * 1024 * 1024)
        self.PHOTO_CHUNK_MAX_BYTES = 256 * 1024
        # a voice note: the phone stops at 60 s (AAC at 32 kbit/s is about 240 KB); a WAV from a desktop is larger
        self.VOICE_MAX_BYTES = _env_int("RIVERPATROL_VOICE_MAX_BYTES", 4 * 1024 * 1024)
        self.VOICE_MAX_SECONDS = 120.0
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
        # notifications (server/notifications): the inbox always; each outbound channel off until configured
        self.NOTIFY_PUBLIC_URL = os.environ.get("RIVERPATROL_PUBLIC_URL", "").rstrip("/")  # links in e-mail/robot text
        self.NOTIFY_SEND_TIMEOUT = float(os.environ.get("RIVERPATROL_NOTIFY_SEND_TIMEOUT", 10))
        self.SMTP_HOST = os.environ.get("RIVERPATROL_SMTP_HOST", "")  # e-mail: off when unset
        self.SMTP_PORT = _env_int("RIVERPATROL_SMTP_PORT", 25)
        self.SMTP_FROM = os.environ.get("RIVERPATROL_SMTP_FROM", "")
        self.SMTP_USER = os.environ.get("RIVERPATROL_SMTP_USER", "")
        self.SMTP_PASSWORD = os.environ.get("RIVERPATROL_SMTP_PASSWORD", "")
        self.SMTP_TLS = os.environ.get("RIVERPATROL_SMTP_TLS", "")  # "" | starttls | ssl
        # 企业微信群机器人: the webhook's address without its key (each unit's robot key is set by the county's admin);
        # off when unset, e.g. https://qyapi.weixin.qq.com/cgi-bin/webhook/send
        self.WECOM_WEBHOOK_URL = os.environ.get("RIVERPATROL_WECOM_WEBHOOK_URL", "")
        # SMS: "" (off) | aliyun (阿里云短信 SendSms); the endpoint, keys, sign and template of the provider
        self.SMS_PROVIDER = os.environ.get("RIVERPATROL_SMS_PROVIDER", "")
        self.SMS_URL = os.environ.get("RIVERPATROL_SMS_URL", "https://dysmsapi.aliyuncs.com/")
        self.SMS_ACCESS_KEY_ID = os.environ.get("RIVERPATROL_SMS_ACCESS_KEY_ID", "")
        self.SMS_ACCESS_KEY_SECRET = os.environ.get("RIVERPATROL_SMS_ACCESS_KEY_SECRET", "")
        self.SMS_SIGN_NAME = os.environ.get("RIVERPATROL_SMS_SIGN_NAME", "")
        self.SMS_TEMPLATE_CODE = os.environ.get("RIVERPATROL_SMS_TEMPLATE_CODE", "")
        self.SMS_REGION = os.environ.get("RIVERPATROL_SMS_REGION", "cn-hangzhou")
        self.SQLALCHEMY_ENGINE_OPTIONS: dict = {}
        # flask-smorest / OpenAPI
        self.API_TITLE = "RiverPatrol 河巡 API"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api/v1"
        self.OPENAPI_JSON_PATH = "openapi.json"

    def finalize(self) -> None:
        """Fill derived values and refuse unsafe production settings."""
        self.SECRET_KEY_IS_DEFAULT = not self.SECRET_KEY
        if not self.SECRET_KEY:
            if self.ENV_MODE == "production" or self.REQUIRE_SECRET:
                raise RuntimeError(missing_secret("gunicorn" if self.REQUIRE_SECRET else "RIVERPATROL_ENV=production"))
            self.SECRET_KEY = DEVELOPMENT_SECRET  # `riverpatrol serve` accepts it on loopback only
        if len(self.SECRET_KEY) < 32 and self.ENV_MODE == "production":
            raise RuntimeError("RIVERPATROL_SECRET_KEY must be at least 32 characters")
        try:
            for net in filter(None, (n.strip() for n in self.HEALTH_NETWORKS.split(","))):
                ipaddress.ip_network(net, strict=False)
        except ValueError as exc:
            raise RuntimeError(f"RIVERPATROL_HEALTH_NETWORKS: {exc} / 内部网络列表有误") from None
        if self.SMS_PROVIDER not in ("", "aliyun"):
            raise RuntimeError(f"RIVERPATROL_SMS_PROVIDER={self.SMS_PROVIDER!r}: only aliyun / 短信服务商只支持 aliyun")
        if self.SMTP_TLS not in ("", "starttls", "ssl"):
            raise RuntimeError(f"RIVERPATROL_SMTP_TLS={self.SMTP_TLS!r}: starttls, ssl or empty / 取值有误")
        if not self.LOG_FORMAT:
            self.LOG_FORMAT = "json" if self.ENV_MODE == "production" else "text"
        if self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            import pysqlite3.dbapi2 as sqlite_module  # pyenv's sqlite3 cannot load extensions

            opts = self.SQLALCHEMY_ENGINE_OPTIONS
            opts.setdefault("module", sqlite_module)
            opts.setdefault("connect_args", {"timeout": 30})
        else:
            self.SQLALCHEMY_ENGINE_OPTIONS.setdefault("pool_pre_ping", True)
