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


def test_problems_reported_before_cases_get_their_case(engine_name, demo_app):
    """0008 opens a case (as reported, with its report step) for every problem already stored."""
    import datetime as dt

    from sqlalchemy import select

    from server.auth.models import User
    from server.cases.models import Case, CaseEvent
    from server.problems.service import report

    who = db.session.scalar(select(User).where(User.phone == "13900000101"))
    problem, _ = report(who, {"uuid": "bbbbbbbb-0000-4000-8000-000000000002", "category": "sewage_outfall",
                              "severity": "serious", "description": "排污口", "lon": 108.9, "lat": 34.33,
                              "reported_at": dt.datetime(2026, 11, 1, 1, tzinfo=dt.UTC)})
    db.session.commit()
    problem_id, who_id = problem.id, who.id
    db.session.remove()
    flask_migrate.downgrade(revision="0007")  # as it was: the problem, no cases
    db.engine.dispose()
    assert "cases" not in inspect(db.engine).get_table_names()
    flask_migrate.upgrade()
    db.engine.dispose()
    case = db.session.scalar(select(Case))
    assert (case.case_no, case.status, case.severity, case.problem_id) == (
        "W20261101-BBBBBBBB0000", "reported", "serious", problem_id)
    assert [(e.action, e.actor_id) for e in db.session.scalars(select(CaseEvent))] == [("report", who_id)]
