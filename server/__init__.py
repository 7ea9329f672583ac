"""RiverPatrol server: a Flask app factory with one package per domain."""
from __future__ import annotations

import importlib
import importlib.util
import os

from flask import Flask
from flask_smorest import Api as SmorestApi
from flask_smorest.arguments import ArgumentsMixin

from . import errors, request_guard
from .config import Config
from .db import attach_engine_events, prepare_engine_config
from .extensions import db, migrate


class Api(SmorestApi):
    """flask-smorest with our error body documented as the default error."""

    from .schemas import ErrorSchema as ERROR_SCHEMA  # noqa: N811


# every blueprint's arguments read the JSON the request guard decoded (before any route is imported)
ArgumentsMixin.ARGUMENTS_PARSER = request_guard.JsonOnceParser()

# the domains, in the order their blueprints are registered (the OpenAPI document's order)
DOMAINS = ("health", "auth", "grids", "cards", "photos", "patrols", "rules", "assessment", "cases",
           "basemaps", "voicenotes", "audit", "notifications", "sync")
MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("RIVERPATROL_INSTANCE") or None)
    cfg = Config(app.instance_path)
    for key, value in (overrides or {}).items():
        setattr(cfg, key, value)
    cfg.finalize()
    app.config.from_object(cfg)
    app.json.ensure_ascii = False  # Chinese stays readable in JSON
    prepare_engine_config(app)

    from . import models  # noqa: F401  (whole metadata before migrate/db see it)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, compare_type=True)
    attach_engine_events(app)
    from . import logs, storage

    storage.init_app(app)
    logs.init_app(app)
    api = Api(app, spec_kwargs={
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}}
    })
    for name in DOMAINS:  # each domain: its API blueprint; its jobs, event subscribers and commands if any
        api.register_blueprint(importlib.import_module(f"{__name__}.{name}.routes").blp)
        for optional in ("jobs", "subscribers"):  # these register themselves when imported
            if importlib.util.find_spec(f"{__name__}.{name}.{optional}"):
                importlib.import_module(f"{__name__}.{name}.{optional}")
        if importlib.util.find_spec(f"{__name__}.{name}.commands"):
            app.cli.add_command(importlib.import_module(f"{__name__}.{name}.commands").cli)
    # backup has commands but no routes, so it is not in DOMAINS (whose loop registers a blueprint from each)
    app.cli.add_command(importlib.import_module(f"{__name__}.backup.commands").cli)
    from .console import init_app as console

    console(app)
    errors.init_app(app)  # after flask-smorest, so our JSON handler wins for HTTP errors
    request_guard.init_app(app)
    return app
