"""Database wiring shared by both engines: SpatiaLite on SQLite, PostGIS on PostgreSQL."""
from __future__ import annotations

import datetime as dt
import os

from flask import Flask
from sqlalchemy import DateTime, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.types import TypeDecorator

from .extensions import db


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on both engines (SQLite keeps no time zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store times as aware UTC")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def prepare_engine_config(app: Flask) -> None:
    """Before the engine exists: SpatiaLite loading through GeoAlchemy2's engine plugin."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    opts = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    opts.setdefault("plugins", ["geoalchemy2"])
    if uri.startswith("sqlite"):
        os.environ.setdefault("SPATIALITE_LIBRARY_PATH", app.config["SPATIALITE_LIBRARY_PATH"])
        url = make_url(uri)
        if url.database and url.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(url.database)), exist_ok=True)
        # WGS84-only metadata initialises in well under a second (a full init takes ~15 s).
        url = url.update_query_dict(
            {"geoalchemy2_connect_sqlite_init_mode": "WGS84", "geoalchemy2_connect_sqlite_transaction": "true"}
        )
        app.config["SQLALCHEMY_DATABASE_URI"] = url.render_as_string(hide_password=False)


def _sqlite_pragmas(busy_ms: int):
    def apply(dbapi_conn, _record) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")  # a writer waits this long for another
        cur.close()
    return apply


def attach_engine_events(app: Flask) -> None:
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas(app.config["SQLITE_BUSY_TIMEOUT_MS"]))


def engine_info() -> dict:
    """Name and version of the database engine and its spatial library."""
    conn = db.session.connection()
    if conn.dialect.name == "sqlite":
        return {
            "engine": "sqlite",
            "engine_version": conn.execute(text("SELECT sqlite_version()")).scalar(),
            "spatial": "spatialite",
            "spatial_version": conn.execute(text("SELECT spatialite_version()")).scalar(),
        }
    return {
        "engine": "postgresql",
        "engine_version": conn.execute(text("SHOW server_version")).scalar(),
        "spatial": "postgis",
        "spatial_version": conn.execute(text("SELECT PostGIS_Lib_Version()")).scalar(),
    }
