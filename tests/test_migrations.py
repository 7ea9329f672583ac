"""The schema is built by the migrations, and the models never drift from them."""
import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from server.extensions import db
from server.migration_support import include_object_for


def _diff(metadata=None):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include_object_for(conn.dialect.name),
                                                     "compare_type": True})
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
    from server.cases.reports import report

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


def _patrol_rows():
    from sqlalchemy import text

    with db.engine.connect() as conn:
        patrols = conn.execute(text("SELECT id, uuid, started_at, body_hash, fix_count, flagged, review_status "
                                    "FROM patrols ORDER BY id")).all()
        segments = conn.execute(text("SELECT patrol_id, segment_id FROM patrol_segments ORDER BY 1, 2")).all()
        flags = conn.execute(text("SELECT patrol_id, code FROM patrol_flags ORDER BY 1, 2")).all()
    return [tuple(r) for r in patrols], [tuple(r) for r in segments], [tuple(r) for r in flags]


def _partition_of(uuid: str) -> str:
    from sqlalchemy import text

    with db.engine.connect() as conn:
        return conn.scalar(text("SELECT tableoid::regclass::text FROM patrols WHERE uuid = :u"), {"u": uuid})


def test_patrols_survive_0009_up_and_down(engine_name, api):
    """Stored patrols, their segments and flags come through the partitioning and back unchanged."""
    import datetime as dt

    from sqlalchemy import text

    from .patrol_data import START, card_of, patrol_body, walk_on

    card = card_of()
    token = api.token("13900000101")
    uuids = []
    for n, start in enumerate([START, START - dt.timedelta(days=40), START - dt.timedelta(days=150)]):
        body = patrol_body(walk_on(card, start, seed=n), card)
        r = api.post("/api/v1/patrols", token=token, json=body)
        assert r.status_code == 201, r.text
        uuids.append(body["uuid"])
    db.session.remove()
    before = _patrol_rows()
    assert len(before[0]) == 3 and before[1]
    flask_migrate.downgrade(revision="0008")
    db.engine.dispose()
    assert _patrol_rows() == before
    if engine_name == "postgis":
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT relkind FROM pg_class WHERE relname = 'patrols'")) == "r"
            assert conn.scalar(text("SELECT to_regclass('patrol_keys')")) is None
    flask_migrate.upgrade()
    db.engine.dispose()
    assert _patrol_rows() == before
    assert _diff() == []
    if engine_name == "postgis":  # each in the partition of its Asia/Shanghai month
        assert [_partition_of(u) for u in uuids] == ["patrols_2026_11", "patrols_2026_10", "patrols_2026_06"]
    r = api.post("/api/v1/patrols", token=token, json=patrol_body(walk_on(card, START, seed=9), card))
    assert r.status_code == 201, r.text


def test_patrols_partitioned_by_month_on_postgis(engine_name, api):
    import datetime as dt

    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from server.migration_support import ensure_patrol_partition, ensure_patrol_partitions
    from shared_models.clock import LOCAL_TZ

    from .patrol_data import START, card_of, patrol_body, walk_on

    if engine_name != "postgis":
        with db.engine.connect() as conn:
            assert ensure_patrol_partitions(conn) is None  # SQLite: one plain table, nothing to make
            assert ensure_patrol_partition(conn, START.date()) is None
        return  # the rest is PostgreSQL's partitions
    with db.engine.connect() as conn:
        assert conn.scalar(text("SELECT relkind FROM pg_class WHERE relname = 'patrols'")) == "p"
        parts = set(conn.scalars(text("SELECT inhrelid::regclass::text FROM pg_inherits "
                                      "WHERE inhparent = 'patrols'::regclass")))
        # the current Asia/Shanghai month and three ahead, made at upgrade; nothing more to make now
        today = dt.datetime.now(LOCAL_TZ).date()
        months = [(today.year + (today.month - 1 + i) // 12, (today.month - 1 + i) % 12 + 1) for i in range(4)]
        assert {"patrols_default", *(f"patrols_{y}_{m:02d}" for y, m in months)} <= parts
        assert ensure_patrol_partitions(conn) == 0
    card = card_of()
    token = api.token("13900000101")
    # a month without a partition: the default partition takes it
    old = START.replace(month=5, day=31, hour=23)  # 2026-05-31 23:00 +08, May on the local calendar
    body = patrol_body(walk_on(card, old), card)
    first = api.post("/api/v1/patrols", token=token, json=body)
    assert first.status_code == 201, first.text
    assert _partition_of(body["uuid"]) == "patrols_default"
    db.session.remove()
    rows = _patrol_rows()
    with db.engine.begin() as conn:  # made later: the month's rows move out of the default partition
        assert ensure_patrol_partition(conn, dt.date(2026, 5, 1)) == "patrols_2026_05"
        assert ensure_patrol_partition(conn, dt.date(2026, 5, 20)) is None
    assert _partition_of(body["uuid"]) == "patrols_2026_05"
    assert _patrol_rows() == rows  # keys, segments and flags untouched by the move
    # a month with its partition (made ahead, as for the current month): there; the same upload again answers once
    with db.engine.begin() as conn:
        ensure_patrol_partition(conn, START.date())
    now_body = patrol_body(walk_on(card), card)
    answers = [api.post("/api/v1/patrols", token=token, json=now_body) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201]
    assert [a.headers["Idempotent-Replayed"] for a in answers] == ["false", "true"]
    assert _partition_of(now_body["uuid"]) == "patrols_2026_11"
    again = api.post("/api/v1/patrols", token=token, json=body)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    with db.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM patrols")) == 2
        assert conn.scalar(text("SELECT count(*) FROM patrol_keys")) == 2
    # the database itself refuses a second patrol under a UUID, whatever its month
    with db.engine.connect() as conn, pytest.raises(IntegrityError):
        conn.execute(text("INSERT INTO patrols SELECT * FROM patrols WHERE uuid = :u"),
                     {"u": body["uuid"]})  # (the same id too; the key table catches it first)
    with db.engine.connect() as conn, pytest.raises(IntegrityError):
        conn.execute(text("INSERT INTO patrols (id, uuid, body_hash, inspector_id, card_id, grid_id, source, "
                          "started_at, ended_at, track, fix_count, distance_m, duration_s, valid, flagged, analysis, "
                          "analysis_version, rules_version, review_note, checklist, notes, lifecycle_events, "
                          "created_at) SELECT nextval('patrols_id_seq'), uuid, body_hash, inspector_id, card_id, "
                          "grid_id, source, started_at + interval '90 days', ended_at + interval '90 days', track, "
                          "fix_count, distance_m, duration_s, valid, flagged, analysis, analysis_version, "
                          "rules_version, review_note, checklist, notes, lifecycle_events, created_at "
                          "FROM patrols WHERE uuid = :u"), {"u": body["uuid"]})
    with db.engine.connect() as conn, pytest.raises(IntegrityError):  # the key of a stored patrol stays
        conn.execute(text("UPDATE patrols SET started_at = started_at + interval '1 day' WHERE uuid = :u"),
                     {"u": body["uuid"]})
    # a patrol deleted takes its key, segments and flags with it
    with db.engine.begin() as conn:
        pid = conn.scalar(text("SELECT id FROM patrols WHERE uuid = :u"), {"u": body["uuid"]})
        conn.execute(text("DELETE FROM patrols WHERE id = :i"), {"i": pid})
        assert conn.scalar(text("SELECT count(*) FROM patrol_keys WHERE id = :i"), {"i": pid}) == 0
        assert conn.scalar(text("SELECT count(*) FROM patrol_segments WHERE patrol_id = :i"), {"i": pid}) == 0


def test_0011_fills_the_display_line_and_replay_sketch_of_stored_patrols(engine_name, api):
    """Patrols stored before 0011 get what intake makes now: the line maps show and the replay sketch."""
    from sqlalchemy import select

    from server.patrols.models import Patrol
    from shared_models.track import Track

    from .patrol_data import card_of, patrol_body, walk_on

    card = card_of()
    token = api.token("13900000101")
    walk = walk_on(card)
    first = api.post("/api/v1/patrols", token=token, json=patrol_body(walk, card))
    assert first.status_code == 201, first.text
    made = db.session.execute(select(Patrol.display, Patrol.replay_sketch)).one()
    db.session.remove()
    flask_migrate.downgrade(revision="0010")
    db.engine.dispose()
    assert {"display", "replay_sketch"}.isdisjoint(c["name"] for c in inspect(db.engine).get_columns("patrols"))
    flask_migrate.upgrade()
    db.engine.dispose()
    filled = db.session.execute(select(Patrol.display, Patrol.replay_sketch)).one()
    assert filled.display == made.display and bytes(filled.replay_sketch) == bytes(made.replay_sketch)
    assert len(filled.display["line"]["coordinates"]) <= 500
    assert _diff() == []
    # and they serve: the stored line on a read, the sketch for the next upload's replay check
    shown = api.get(f"/api/v1/patrols/{first.json()['uuid']}", token=token).json()["display_track"]
    assert shown == made.display["line"]
    again = Track(walk.lon, walk.lat, walk.t - 86400, walk.accuracy)
    second = api.post("/api/v1/patrols", token=token, json=patrol_body(again, card)).json()
    match = next(f for f in second["flags"] if f["code"] == "replay")["evidence"]["matches"][0]
    assert match["patrol_uuid"] == first.json()["uuid"]


def test_everyone_keeps_their_access_when_roles_become_capabilities(engine_name, demo_app):
    """0015 gives each person their one role as a capability, at the unit they belong to."""
    from sqlalchemy import select, text

    from server.auth.models import User

    before = {(u.id, u.role, u.org_unit_id) for u in db.session.scalars(select(User))}
    assert len(before) > 10
    db.session.remove()
    flask_migrate.downgrade(revision="0014")
    db.engine.dispose()
    assert "role_grants" not in inspect(db.engine).get_table_names()
    flask_migrate.upgrade()
    db.engine.dispose()
    with db.engine.connect() as conn:
        grants = set(conn.execute(text("SELECT user_id, role, org_unit_id FROM role_grants")).all())
        duties = set(conn.execute(text("SELECT DISTINCT duty FROM responsibility_cards")).scalars())
    assert grants == before and duties == {"inspector"}
