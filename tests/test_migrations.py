"""The schema is built by the migrations, and the models never drift from them."""
import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from server.extensions import db
from server.migration_support import include_object


def _diff(metadata=None):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include_object, "compare_type": True})
        return compare_metadata(ctx, metadata if metadata is not None else db.metadata)


def test_models_match_migrations(engine_name, app):
    assert _diff() == []


def test_drift_is_detected(engine_name, app):
    """The check above can fail: a column the migrations do not create shows up as a difference."""
    from sqlalchemy import Column, MetaData, String

    changed = MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["rivers"].append_column(Column("basin", String(50)))
    diff = _diff(changed)
    assert any(d[0] == "add_column" and d[3].name == "basin" for d in diff)


def test_downgrade_to_base_and_upgrade_again(engine_name, app):
    ours = {"org_units", "river_segments", "users", "responsibility_cards", "device_sessions"}
    flask_migrate.downgrade(revision="base")
    db.engine.dispose()
    assert ours.isdisjoint(inspect(db.engine).get_table_names())
    flask_migrate.upgrade()
    db.engine.dispose()
    assert ours <= set(inspect(db.engine).get_table_names())
    assert _diff() == []
