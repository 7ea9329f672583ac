"""Console figures: each page's server time for a month of one township's data.

Run ``make bench`` (or ``python bench/console.py``); prints ``name: value`` lines.
The demo county on SpatiaLite, with a month of patrols for every inspector of 汉城街道
(two a week each, real walks along their segments, a tenth flagged) and a case for a
problem reported on every tenth patrol. A supervisor signed in through the login form
requests each page repeatedly through the WSGI app (no network); the figure is the 95th
percentile of the server time per page, and ``console_page_p95_ms`` the slowest page's
(goal <= 300 ms).
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout without installing

ROUNDS = 20
CN = dt.timezone(dt.timedelta(hours=8))


def build(app) -> dict:
    import flask_migrate
    import numpy as np
    from geoalchemy2.shape import to_shape
    from shapely.geometry import LineString
    from sqlalchemy import select

    from server.auth.models import User
    from server.cards.models import ResponsibilityCard
    from server.cases.models import Case
    from server.cases.reports import report
    from server.demo import load_demo
    from server.extensions import db
    from server.geo import to_db
    from server.grids.models import OrgUnit
    from server.patrols.models import Patrol, PatrolFlag
    from shared_models.track import codec
    from tests.tracks import walk_along

    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "server" / "migrations"))
        load_demo()
        town = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "610112010"))
        cards = db.session.scalars(select(ResponsibilityCard).join(OrgUnit, OrgUnit.id == ResponsibilityCard.grid_id)
                                   .where(OrgUnit.path.startswith(town.path))).all()
        today = dt.datetime.now(CN).date()
        first = today - dt.timedelta(days=30)
        n = 0
        for card in cards:
            if not card.segments:
                continue
            line = to_shape(card.segments[0].geom)
            for k in range(9):  # about two a week over the month
                start = dt.datetime.combine(first + dt.timedelta(days=k * 3 + 1), dt.time(9), CN)
                walk = walk_along(line, start.timestamp(), seed=n)
                flagged = n % 10 == 3
                p = Patrol(uuid=str(uuid.uuid4()), body_hash="0" * 64, inspector_id=card.inspector_id, card_id=card.id,
                           grid_id=card.grid_id, source="app", started_at=start.astimezone(dt.UTC),
                           ended_at=dt.datetime.fromtimestamp(walk.t[-1], dt.UTC), track=codec.encode(walk),
                           fix_count=len(walk), geom=to_db(LineString(np.column_stack([walk.lon, walk.lat]))),
                           distance_m=float(len(walk)) * 1.2, duration_s=float(len(walk)), coverage=0.9,
                           valid=True, flagged=flagged, analysis={"reasons": []}, analysis_version="bench",
                           rules_version="bench", segments=list(card.segments))
                if flagged:
                    p.flags = [PatrolFlag(code="stationary", detail="长时间停留 / stationary",
                                          evidence={"index": len(walk) // 2})]
                db.session.add(p)
                db.session.commit()
                if n % 10 == 0:
                    where = line.interpolate(0.5, normalized=True)
                    report(db.session.get(User, card.inspector_id), {
                        "uuid": str(uuid.uuid4()), "category": "garbage", "severity": "general",
                        "description": "漂浮物", "lon": where.x, "lat": where.y,
                        "reported_at": start + dt.timedelta(minutes=20), "patrol_uuid": p.uuid})
                n += 1
        flagged_uuid = db.session.scalar(select(Patrol.uuid).where(Patrol.flagged.is_(True)))
        case_no = db.session.scalar(select(Case.case_no))
        return {"patrols": n, "flagged": flagged_uuid, "case": case_no,
                "period": (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")}


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    from server import create_app

    folder = Path(tempfile.mkdtemp(prefix="bench-console-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'console.db'}", "SECRET_KEY": "b" * 40,
                      "PHOTO_DIR": str(folder / "photos"), "PASSWORD_HASH_TIME_COST": 1,
                      "PASSWORD_HASH_MEMORY_KIB": 1024})
    info = build(app)
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/login").text).group(1)
    r = client.post("/console/login", data={"phone": "13900000012", "password": "Demo@2026", "csrf_token": token})
    assert r.status_code == 302, r.status_code
    pages = {"dashboard": "/console/", "queue": "/console/patrols", "patrol": f"/console/patrols/{info['flagged']}",
             "cases": "/console/cases", "case": f"/console/cases/{info['case']}",
             "assessment": f"/console/assessment?period={info['period']}",
             "spotcheck": f"/console/spotcheck?period={info['period']}", "cards": "/console/cards",
             "users": "/console/users", "rules": "/console/rules", "grids": "/console/grids"}
    worst = 0.0
    print(f"console_patrols: {info['patrols']}")
    for name, path in pages.items():
        times = []
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            r = client.get(path)
            times.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, (path, r.status_code)
        p95 = statistics.quantiles(times, n=20)[18]
        worst = max(worst, p95)
        print(f"console_{name}_p95_ms: {p95:.1f}")
    print(f"console_page_p95_ms: {worst:.1f}")


if __name__ == "__main__":
    main()
