"""EXPLAIN of the hot patrol queries on a province of partitioned patrols (PostGIS).

Run ``make bench`` (or ``python bench/explain.py``); prints ``name: value`` lines.

The province of bench/assessment.py (50,000 inspectors, 400,000 patrols in October 2026,
loaded by the same builder) plus ``HISTORY`` earlier months made by copying October's
patrols back a month at a time (new ids and UUIDs), so the month's partition is one among
several. Each query is the application's own, run through its own code while its SQL is
captured, then run again under ``EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)``:

- ``assessment``: every statement ``assess`` (the month's compliance, scores and pay for
  the province) sends to patrols; the patrol query (Q3) and the tallies (Q4/Q5);
- ``review_queue``: a township supervisor's queue (flagged, undecided, oldest first);
- ``supervisor_week``: a township supervisor's patrol list for a week (GET /patrols);
- ``me_changes``: an inspector's /me/changes since a week ago;
- ``idempotency``: the upload's lookup of a phone's UUID.

Asserted here: no Seq Scan over any non-empty patrols partition, except the partition of
the assessed month read whole by the assessment (the cheapest plan for reading all of it);
the month-bounded statements touch only the month's partition (plus the previous month's,
for the weeks and gap rules that reach back into it).

Also the storage per patrol: ``pg_total_relation_size`` over the partitions (heap, TOAST,
every index) and ``patrol_keys`` per row, with the encoded track and line of a real
45-minute patrol measured beside it (the bench rows carry no track).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout without installing

from sqlalchemy import event, select, text  # noqa: E402

from bench.assessment import MONTH, load, make_app  # noqa: E402

HISTORY = 3  # months before October copied from it: July, August, September
SHAPE = {"cities": 10, "counties": 10, "townships": 10, "villages": 25, "per_village": 2, "patrols": 400_000}
SMALL = {"cities": 1, "counties": 2, "townships": 5, "villages": 10, "per_village": 2, "patrols": 8_000}  # --small
MONTH_PART = "patrols_" + MONTH.replace("-", "_")


@contextmanager
def captured(engine):
    """The SQL (and parameters) of every statement that reads patrols while the block runs."""
    out: list[tuple[str, dict]] = []

    def grab(conn, cursor, statement, parameters, context, executemany):
        if not executemany and " patrols" in statement and statement.lstrip().upper().startswith("SELECT"):
            out.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", grab)
    try:
        yield out
    finally:
        event.remove(engine, "before_cursor_execute", grab)


def walk(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from walk(child)


def explain(db, statement: str, parameters, sizes: dict[str, float]) -> dict:
    with db.engine.connect() as conn:
        doc = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters).scalar()
    doc = doc if isinstance(doc, list) else json.loads(doc)
    root = doc[0]
    scanned, seq = set(), []
    for node in walk(root["Plan"]):
        rel = node.get("Relation Name", "")
        if rel.startswith("patrols_") and node.get("Actual Loops", 0) > 0:
            scanned.add(rel)
            if node["Node Type"] == "Seq Scan" and sizes.get(rel, 0) > 0:
                seq.append(rel)
    return {"ms": root["Execution Time"], "scanned": sorted(scanned), "seq": seq, "plan": root["Plan"]}


def history(db) -> None:
    """October copied back a month at a time, into partitions made for those months first."""
    from server.migration_support import ensure_patrol_partition

    cols = [c for c in db.session.execute(text(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'patrols'::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum")).scalars()]
    shifted = {"id": "id + :offset", "uuid": "md5(uuid || :offset)::uuid::text",
               # months counted on the local calendar (in UTC, 31 Oct 07:00+08 less a month is still October)
               "started_at": "(started_at AT TIME ZONE 'Asia/Shanghai' - make_interval(months => :back)) "
                             "AT TIME ZONE 'Asia/Shanghai'",
               "ended_at": "(ended_at AT TIME ZONE 'Asia/Shanghai' - make_interval(months => :back)) "
                           "AT TIME ZONE 'Asia/Shanghai'"}
    source = ", ".join(shifted.get(c, c) for c in cols)
    with db.engine.begin() as conn:
        for back in range(1, HISTORY + 1):
            ensure_patrol_partition(conn, dt.date(2026, 10 - back, 1))
        last = conn.scalar(text("SELECT max(id) FROM patrols"))
        for back in range(1, HISTORY + 1):
            conn.execute(text(f"INSERT INTO patrols ({', '.join(cols)}) SELECT {source} FROM patrols "
                              "WHERE id <= :last AND started_at >= '2026-10-01 00:00+08' "
                              "AND started_at < '2026-11-01 00:00+08'"),
                         {"offset": last * back, "back": back, "last": last})
        conn.execute(text("SELECT setval('patrols_id_seq', (SELECT max(id) FROM patrols))"))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE patrols"))
        conn.execute(text("VACUUM ANALYZE patrol_keys"))


def people(db):
    """A township supervisor and an inspector with patrols (made now: the bench has inspectors only)."""
    from server.auth.models import RoleGrant, User
    from server.grids.models import OrgUnit
    from server.patrols.models import Patrol

    town = db.session.scalar(select(OrgUnit).where(OrgUnit.level == "township").order_by(OrgUnit.id).limit(1))
    from sqlalchemy import func

    next_id = db.session.scalar(select(func.max(User.id))) + 1
    sup = User(id=next_id, phone="19900000001", name="镇级河长(基准)", role="supervisor", org_unit_id=town.id,
               password_hash="$argon2id$bench", active=True)
    sup.grants.append(RoleGrant(role="supervisor", org_unit_id=town.id))
    db.session.add(sup)
    db.session.commit()
    inspector = db.session.get(User, db.session.scalar(
        select(Patrol.inspector_id).where(Patrol.started_at >= dt.datetime(2026, 10, 1, tzinfo=dt.UTC)).limit(1)))
    return sup, inspector


def storage(db, patrols: int) -> dict:
    import base64

    import numpy as np
    from shapely.geometry import LineString

    from shared_models.track import codec
    from tests.tracks import walk_along

    q = ("SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree('patrols') "
         "WHERE isleaf")
    with db.engine.connect() as conn:
        parts = conn.scalar(text(q))
        keys = conn.scalar(text("SELECT pg_total_relation_size('patrol_keys')"))
        segs = conn.scalar(text("SELECT pg_total_relation_size('patrol_segments')"))
        seg_rows = conn.scalar(text("SELECT count(*) FROM patrol_segments"))
        # real patrols: about 45 minutes along a 1.6 km river segment and back at 1 Hz, stored as the
        # server stores them (the encoded fixes, the line of kept fixes; TOAST compression included)
        conn.execute(text("CREATE TEMP TABLE real_tracks (track bytea, geom geometry(LINESTRING, 4326))"))
        fixes, wire = 0, 0
        for seed in range(20):
            track = walk_along(LineString([(108.90, 34.30 + seed * 0.01), (108.9178, 34.30 + seed * 0.01)]),
                               1_790_000_000, seed=seed)
            blob = codec.encode(track)
            fixes, wire = fixes + len(track), wire + len(base64.b64encode(blob))
            conn.execute(text("INSERT INTO real_tracks VALUES (:b, ST_GeomFromText(:w, 4326))"),
                         {"b": blob, "w": LineString(np.column_stack([track.lon, track.lat])).wkt})
        track_bytes, geom_bytes = conn.execute(text(
            "SELECT avg(pg_column_size(track)), avg(pg_column_size(geom)) FROM real_tracks")).one()
        stored = conn.scalar(text("SELECT pg_total_relation_size('real_tracks')")) / 20
    return {"patrol_row_bytes": float(parts) / patrols, "patrol_keys_row_bytes": float(keys) / patrols,
            "patrol_segments_row_bytes": float(segs) / max(seg_rows, 1), "track_fixes": fixes / 20,
            "track_wire_b64_bytes": wire / 20, "track_stored_bytes": float(track_bytes),
            "geom_stored_bytes": float(geom_bytes), "track_and_geom_bytes": float(stored),
            "patrols_bytes_total": int(parts)}


def main() -> None:  # noqa: C901 (a script: one measure after another)
    from tests.pgcluster import Cluster

    cluster = Cluster().start()
    try:
        app = make_app(cluster.create_postgis_database("bench"))
        run(app)
    finally:
        cluster.stop()


def run(app) -> None:  # noqa: C901
    from server.assessment.service import assess
    from server.extensions import db
    from server.grids.models import OrgUnit
    from server.migration_support import ensure_patrol_partition
    from server.patrols import service
    from server.sync.service import changes_since

    with app.app_context():
        t0 = time.perf_counter()
        with db.engine.begin() as conn:  # the months of the data, as `db upgrade` would have made them
            ensure_patrol_partition(conn, dt.date(2026, 9, 1))
            ensure_patrol_partition(conn, dt.date(2026, 10, 1))
        info = load(db, **(SMALL if "--small" in sys.argv else SHAPE))
        history(db)
        total = db.session.scalar(text("SELECT count(*) FROM patrols"))
        print(f"explain_load_s: {time.perf_counter() - t0:.1f}", flush=True)
        sizes = dict(db.session.execute(text(
            "SELECT c.relname, c.reltuples FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'patrols'::regclass")).all())
        sizes = {k: max(v, 0) for k, v in sizes.items()}
        print(f"explain_patrols: {total}")
        print(f"explain_partitions: {len(sizes)}")
        print(f"explain_month_partition_rows: {int(sizes[MONTH_PART])}")

        root = db.session.scalar(select(OrgUnit).where(OrgUnit.code == info["root"]))
        db.session.expire_all()
        t0 = time.perf_counter()
        with captured(db.engine) as statements:
            assess(root, MONTH)
        print(f"province_month_s_partitioned: {time.perf_counter() - t0:.2f}")
        sup, inspector = people(db)
        queries: dict[str, list[tuple[str, dict]]] = {"assessment": statements}
        with captured(db.engine) as statements:
            db.session.scalars(service.patrols_in_scope(sup).where(
                service.Patrol.flagged.is_(True), service.Patrol.review_status.is_(None))
                .order_by(service.Patrol.started_at).limit(200)).all()
        queries["review_queue"] = statements
        with captured(db.engine) as statements:
            service.search(sup, {"date_from": dt.date(2026, 10, 12), "date_to": dt.date(2026, 10, 18)})
        queries["supervisor_week"] = statements
        with captured(db.engine) as statements:
            changes_since(inspector, dt.datetime(2026, 10, 26, tzinfo=dt.UTC))
        queries["me_changes"] = [s for s in statements if "patrol_flags" not in s[0]]
        some = db.session.scalar(text("SELECT uuid FROM patrols WHERE inspector_id = :i ORDER BY started_at LIMIT 1"),
                                 {"i": inspector.id})
        with captured(db.engine) as statements:
            service.repeat_of(inspector, some, "0" * 64)
        queries["idempotency"] = statements
        db.session.rollback()

        # the assessment's statements by what they do
        named: dict[str, list[tuple[str, dict]]] = {}
        for statement, parameters in queries.pop("assessment"):
            kind = ("by_id" if "patrols.id IN" in statement else "patrols" if "date(timezone(" in statement
                    else "tallies" if "GROUP BY patrols.inspector_id" in statement
                    else "last_end" if "max(patrols.ended_at)" in statement else "other")
            named.setdefault(f"assessment_{kind}", []).append((statement, parameters))
        by_id = named.pop("assessment_by_id", [])
        queries = {**named, **queries}

        month_parts, bad_seq = {}, []
        for name, found in queries.items():
            assert found, f"{name}: no statement on patrols captured"
            for n, (statement, parameters) in enumerate(found):
                e = explain(db, statement, parameters, sizes)
                label = name if len(found) == 1 else f"{name}_{n + 1}"
                # the assessment reads its month whole: a Seq Scan of that partition is the right plan
                allowed = {MONTH_PART} if name.startswith("assessment") else set()
                bad_seq += [(label, rel) for rel in e["seq"] if rel not in allowed]
                if name in ("assessment_patrols", "assessment_tallies", "supervisor_week"):
                    month_parts[label] = len(e["scanned"])
                    assert set(e["scanned"]) <= {MONTH_PART, "patrols_2026_09"}, (label, e["scanned"])
                print(f"explain_{label}_ms: {e['ms']:.1f}")
                print(f"explain_{label}_partitions_scanned: {len(e['scanned'])}")
                print(f"explain_{label}_seq_scans: {len(e['seq'])}")
                if os.environ.get("EXPLAIN_VERBOSE"):
                    print(statement, parameters, json.dumps(e["plan"], indent=1)[:6000], sep="\n")
        assert month_parts["assessment_tallies"] == 1, month_parts  # the month: its own partition only
        assert not bad_seq, f"Seq Scan on patrols beyond the month's partition: {bad_seq}"
        print(f"explain_month_partitions_scanned: {month_parts['assessment_tallies']}")
        print(f"explain_seq_scans_on_patrols: {len(bad_seq)}")

        # Not asserted: the engine's look-up of patrol times by id, 5,000 ids a statement, for the
        # holdings under gap or per-river rules. Without started_at it cannot prune; the planner
        # reads whole partitions. The same statement bounded by the assessment's range, beside it.
        if by_id:
            runs = [explain(db, st, pa, sizes) for st, pa in by_id]
            print(f"explain_assessment_by_id_statements: {len(runs)}")
            print(f"explain_assessment_by_id_ms_total: {sum(r['ms'] for r in runs):.1f}")
            print(f"explain_assessment_by_id_partitions_scanned: {max(len(r['scanned']) for r in runs)}")
            print(f"explain_assessment_by_id_seq_scans_outside_month: "
                  f"{sum(len([x for x in r['seq'] if x != MONTH_PART]) for r in runs)}")
            q3 = queries["assessment_patrols"][0][1]
            bounded = [explain(db, st + " AND patrols.started_at >= %(lo_b)s AND patrols.started_at < %(hi_b)s",
                               {**pa, "lo_b": q3["started_at_1"], "hi_b": q3["started_at_2"]}, sizes)
                       for st, pa in by_id]
            print(f"explain_assessment_by_id_bounded_ms_total: {sum(r['ms'] for r in bounded):.1f}")
            print(f"explain_assessment_by_id_bounded_partitions_scanned: "
                  f"{max(len(r['scanned']) for r in bounded)}")
            print(f"explain_assessment_by_id_bounded_seq_scans_outside_month: "
                  f"{sum(len([x for x in r['seq'] if x != MONTH_PART]) for r in bounded)}")
        for key, value in storage(db, total).items():
            print(f"{key}: {value:.0f}" if isinstance(value, float) else f"{key}: {value}")


if __name__ == "__main__":
    os.environ.setdefault("RIVERPATROL_ENV", "development")
    main()
