"""Assessment figures: a month's compliance, scores and pay, for a synthetic province and county.

Run ``make bench`` (or ``python bench/assessment.py``); prints ``name: value`` lines.

- ``province_month_s``: PostGIS (a throwaway cluster), 50,000 inspectors in 25,000
  villages of 100 counties, 400,000 patrols in October 2026; goal <= 10 s.
- ``county_month_s``: SpatiaLite, one county of 2,000 inspectors and 16,000 patrols.

The figure is the wall time of ``server.assessment.service.assess`` for the month: every
query, the compliance of every window, every score and every amount with its reasons,
as the console's preview and the lock compute them. Rules mix the real counties': a
province weekly default, counties on Guangzhou's 旬 days with warning overrides, on
Dinghu's per-river monthly counting, on Akqi's 96-hour gap; a Hanbin pay plan province-
wide, the town template in some counties; warnings, leave, flagged, cleared and rejected
patrols. Loading the data is not timed.
"""
from __future__ import annotations

import datetime as dt
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout without installing

from sqlalchemy import insert, text  # noqa: E402

CN = dt.timezone(dt.timedelta(hours=8))
MONTH = "2026-10"
HASH = "$argon2id$v=19$m=65536,t=3,p=4$bench$bench"  # nobody signs in here


def make_app(url: str):
    import logging

    import flask_migrate

    logging.basicConfig(level=logging.WARNING)  # (alembic then keeps its INFO lines to itself)

    from server import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "bench-" * 8,
                      "PHOTO_DIR": tempfile.mkdtemp(prefix="bench-photos-")})
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "server" / "migrations"))
    return app


def load(db, *, cities: int, counties: int, townships: int, villages: int, per_village: int, patrols: int,
         seed: int = 7) -> dict:
    """The org tree, people, cards, segments, rules and a month of patrols, in bulk."""
    from server.auth.models import RoleGrant, User
    from server.cards.models import ResponsibilityCard, card_segments
    from server.grids.models import OrgUnit, River, RiverSegment
    from server.patrols.models import Patrol, patrol_segments
    from server.rules.models import Exemption, FrequencyRule, Plan, RiverWarning

    rng = np.random.default_rng(seed)
    now = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    s = db.session

    def bulk(model, rows):
        for i in range(0, len(rows), 20_000):
            s.execute(insert(model), rows[i:i + 20_000])

    units, ids = [], {}
    next_id = 1

    def unit(code, name, level, parent):
        nonlocal next_id
        path = (units[ids[parent] - 1]["path"] if parent else "/") + code + "/"
        units.append({"id": next_id, "code": code, "name": name, "level": level,
                      "parent_id": ids[parent] if parent else None, "path": path, "created_at": now})
        ids[code] = next_id
        next_id += 1

    unit("61", "陕西省(基准)", "province", None)
    county_codes, village_codes = [], []
    for c in range(1, cities + 1):
        city = f"61{c:02d}"
        unit(city, f"市{c}", "city", "61")
        for k in range(1, counties + 1):
            county = f"{city}{k:02d}"
            unit(county, f"县{county}", "county", city)
            county_codes.append(county)
            for t in range(1, townships + 1):
                town = f"{county}{t:03d}"
                unit(town, f"镇{town}", "township", county)
                for v in range(1, villages + 1):
                    village = f"{town}{v:03d}"
                    unit(village, f"村{village}", "village", town)
                    village_codes.append(village)
    bulk(OrgUnit, units)

    n_people = len(village_codes) * per_village
    village_of = np.repeat(np.arange(len(village_codes)), per_village)
    users = [{"id": i + 1, "phone": f"1{i:010d}", "name": f"巡查员{i}", "role": "inspector",
              "org_unit_id": ids[village_codes[village_of[i]]], "password_hash": HASH, "active": True,
              "created_at": now} for i in range(n_people)]
    bulk(User, users)
    bulk(RoleGrant, [{"user_id": u["id"], "role": "inspector", "org_unit_id": u["org_unit_id"],
                      "created_at": now} for u in users])
    # rivers: five per township; each card has two segments on two of them
    towns = sorted({c[:-3] for c in village_codes})
    rivers = [{"id": i + 1, "code": f"R{t}{r}", "name": f"河{t}-{r}", "created_at": now}
              for i, (t, r) in enumerate((t, r) for t in towns for r in range(5))]
    bulk(River, rivers)
    river_base = {t: i * 5 + 1 for i, t in enumerate(towns)}
    segments, cards, card_segs = [], [], []
    for i in range(n_people):
        village = village_codes[village_of[i]]
        lon, lat = 106 + (i % 500) * 0.01, 33 + (i // 500) * 0.01
        cards.append({"id": i + 1, "card_no": f"C{i}", "version": 1, "inspector_id": i + 1,
                      "grid_id": ids[village], "duties": [], "frequency_summary": "", "valid_from": dt.date(2026, 1, 1),
                      "valid_to": None, "change_reason": "", "created_at": now})
        for j in range(2):
            sid = 2 * i + j + 1
            segments.append({"id": sid, "code": f"S{sid}", "name": f"段{sid}",
                             "river_id": river_base[village[:-3]] + (i + j) % 5, "grid_id": ids[village],
                             "bank": "both", "length_m": float(rng.uniform(800, 4000)), "created_at": now,
                             "geom": f"SRID=4326;LINESTRING({lon} {lat + j * 0.001},{lon + 0.005} {lat + j * 0.001})"})
            card_segs.append({"card_id": i + 1, "segment_id": sid})
    bulk(RiverSegment, segments)
    bulk(ResponsibilityCard, cards)
    s.execute(insert(card_segments), card_segs)

    # a month of patrols: local days of October (and the end of September, for the weeks that start there)
    who = rng.integers(0, n_people, patrols)
    day0 = dt.datetime(2026, 9, 28, tzinfo=CN)
    start_s = day0.timestamp() + rng.integers(0, 34, patrols) * 86400 + rng.integers(7 * 3600, 18 * 3600, patrols)
    dur = rng.integers(30 * 60, 90 * 60, patrols)
    roll = rng.random(patrols)
    rows, pseg = [], []
    for k in range(patrols):
        p = int(who[k])
        started = dt.datetime.fromtimestamp(float(start_s[k]), dt.UTC)
        flagged = bool(roll[k] < 0.045)
        rows.append({
            "id": k + 1, "uuid": str(uuid.UUID(int=k + 1)), "body_hash": "0" * 64, "inspector_id": p + 1,
            "card_id": p + 1, "grid_id": ids[village_codes[village_of[p]]], "source": "app", "started_at": started,
            "ended_at": started + dt.timedelta(seconds=int(dur[k])), "track": b"", "fix_count": int(dur[k]),
            "geom": None, "distance_m": float(dur[k]) * 1.1, "duration_s": float(dur[k]), "coverage": 0.8,
            "valid": bool(roll[k] >= 0.02), "flagged": flagged,
            "review_status": "cleared" if roll[k] < 0.03 else "rejected" if roll[k] < 0.035 else None,
            "review_note": "", "analysis": {}, "analysis_version": "bench", "rules_version": "bench",
            "checklist": {}, "notes": "", "lifecycle_events": [], "created_at": now, "updated_at": now})
        pseg.append({"patrol_id": k + 1, "segment_id": 2 * p + 1 + (k % 2)})
    bulk(Patrol, rows)
    bulk(patrol_segments, pseg)

    frequency = [{"org_unit_id": 1, "name": "省级默认：每周一次", "role": "inspector", "window": "week", "min_count": 1,
                  "count_mode": "sessions", "count_per": "person", "valid_from": dt.date(2026, 1, 1),
                  "created_at": now}]
    # the counties' own rules (in a one-county run, the townships'): a mix of the real ones
    scopes = county_codes if len(county_codes) >= 10 else sorted({c[:-3] for c in village_codes})
    for n, county in enumerate(scopes):
        base = {"org_unit_id": ids[county], "role": "inspector", "valid_from": dt.date(2026, 1, 1), "created_at": now,
                "count_mode": "sessions", "count_per": "person"}
        if n % 10 == 1:
            frequency.append({**base, "name": "广州式：每旬一天", "window": "xun", "count_mode": "days", "min_count": 1,
                              "overrides": [{"level": "yellow", "min_count": 2}, {"level": "red", "min_count": 5}]})
        elif n % 10 == 2:
            frequency.append({**base, "name": "定湖式：每河每月两次", "window": "month", "min_count": 2,
                              "count_per": "river"})
        elif n % 20 == 3:
            frequency.append({**base, "name": "阿合奇式：每周、间隔96小时", "window": "week", "min_count": 1,
                              "min_gap_hours": 96, "active_months": list(range(3, 13))})
    bulk(FrequencyRule, frequency)
    tiers = [{"code": "excellent", "label": "优秀", "min": 90}, {"code": "pass", "label": "合格", "min": 70},
             {"code": "fail", "label": "不合格", "min": None}]
    scoring = {"base": 100, "floor": 0, "ceiling": 100, "items": [
        {"label": "缺巡", "metric": "missed_patrols", "points_each": -10, "cap": 60, "bands": None},
        {"label": "发现问题", "metric": "problems_reported", "points_each": 2, "cap": 10, "bands": None}],
        "veto": [{"label": "虚假巡河", "metric": "rejected_patrols", "at_least": 1, "score": 0}], "tiers": tiers}
    plans = [{"org_unit_id": 1, "kind": "scoring", "name": "省级考核", "role": "inspector", "definition": scoring,
              "valid_from": dt.date(2026, 1, 1), "created_at": now},
             {"org_unit_id": 1, "kind": "pay", "name": "汉滨式补贴", "role": "inspector",
              "valid_from": dt.date(2026, 1, 1), "created_at": now,
              "definition": {"base": 600, "tier_bonus": {"excellent": 200, "pass": 100}, "per_point": 0, "per_km": 0,
                             "dismissal_below": None, "prorate": True}}]
    plans += [{"org_unit_id": ids[c], "kind": "pay", "name": "乡镇模板：每分50元", "role": "inspector",
               "valid_from": dt.date(2026, 1, 1), "created_at": now,
               "definition": {"base": 0, "tier_bonus": {}, "per_point": 50, "per_km": 0, "dismissal_below": 60,
                              "prorate": True}} for c in scopes[::10]]
    bulk(Plan, plans)
    bulk(RiverWarning, [{"org_unit_id": 1, "warning_type": "water_quality", "level": ("yellow", "red")[i % 2],
                         "river_ids": [int(x) for x in rng.integers(1, len(rivers) + 1, 20)], "segment_ids": [],
                         "valid_from": dt.date(2026, 10, 5 + i), "valid_to": dt.date(2026, 10, 15 + i), "note": "",
                         "created_at": now} for i in range(10)])
    bulk(Exemption, [{"user_id": int(u) + 1, "date_from": dt.date(2026, 10, 1 + i % 20),
                      "date_to": dt.date(2026, 10, 8 + i % 20), "reason": "请假", "created_at": now}
                     for i, u in enumerate(rng.integers(0, n_people, max(10, n_people // 100)))])
    s.commit()
    if db.engine.dialect.name == "postgresql":
        for table in ("org_units", "users", "responsibility_cards", "card_segments", "river_segments", "patrols",
                      "patrol_segments"):
            s.execute(text(f"ANALYZE {table}"))
        s.commit()
    return {"inspectors": n_people, "patrols": patrols, "root": "61"}


def measure(app, label: str, **shape) -> None:
    from sqlalchemy import select

    from server.assessment.service import assess
    from server.extensions import db
    from server.grids.models import OrgUnit

    with app.app_context():
        t0 = time.perf_counter()
        with db.engine.begin() as conn:  # PostGIS: the data's months partitioned, as `db upgrade` made them then
            from server.migration_support import ensure_patrol_partition

            for month in (dt.date(2026, 9, 1), dt.date(2026, 10, 1)):
                ensure_patrol_partition(conn, month)
        info = load(db, **shape)
        print(f"{label}_load_s: {time.perf_counter() - t0:.1f}", flush=True)
        root = db.session.scalar(select(OrgUnit).where(OrgUnit.code == info["root"]))
        db.session.expire_all()
        t0 = time.perf_counter()
        result = assess(root, MONTH)
        took = time.perf_counter() - t0
        lines = result["lines"]
        assert len(lines) == info["inspectors"], (len(lines), info["inspectors"])
        print(f"{label}_month_s: {took:.2f}")
        print(f"{label}_inspectors: {len(lines)}")
        print(f"{label}_patrols: {info['patrols']}")
        print(f"{label}_windows: {sum(len(x['windows']) for x in lines)}")
        print(f"{label}_amount_yuan: {result['totals']['amount_fen'] / 100:.2f}")
        print(f"{label}_dismissal: {sum(x['dismissal'] for x in lines)}")


def main() -> None:
    which = sys.argv[1:] or ["county", "province"]
    if "county" in which:
        path = Path(tempfile.mkdtemp(prefix="bench-county-")) / "county.db"
        app = make_app(f"sqlite:///{path}")
        # one county of 2,000 inspectors: 20 townships x 50 villages x 2, 16,000 patrols
        measure(app, "county", cities=1, counties=1, townships=20, villages=50, per_village=2, patrols=16_000)
    if "province" in which:
        from tests.pgcluster import Cluster

        cluster = Cluster().start()
        try:
            app = make_app(cluster.create_postgis_database("bench"))
            # 10 cities x 10 counties x 10 townships x 25 villages x 2 = 50,000 inspectors
            measure(app, "province", cities=10, counties=10, townships=10, villages=25, per_village=2,
                    patrols=400_000)
        finally:
            cluster.stop()
    print(f"assessment_peak_rss_mb: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


if __name__ == "__main__":
    os.environ.setdefault("RIVERPATROL_ENV", "development")
    main()
