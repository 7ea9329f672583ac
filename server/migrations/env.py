"""Alembic environment (Flask-Migrate). Migrations run on SpatiaLite and PostGIS alike."""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from geoalchemy2 import alembic_helpers

from server.migration_support import compare_args, ensure_patrol_partitions

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db


def process_revision_directives(context_, revision, directives):
    if getattr(config.cmd_opts, "autogenerate", False):
        script = directives[0]
        if script.upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")
            return
    alembic_helpers.writer(context_, revision, directives)


def run_migrations_online():
    with db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=db.metadata,
            process_revision_directives=process_revision_directives,
            render_as_batch=connection.dialect.name == "sqlite",
            **compare_args(connection.dialect.name),
        )
        with context.begin_transaction():
            context.run_migrations()
            if not getattr(config.cmd_opts, "autogenerate", False):
                # every `db upgrade` keeps the patrol partitions of the coming months ready (PostgreSQL)
                ensure_patrol_partitions(connection)


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations_online()
