"""What the console's pages show, computed with the same services as the API."""
from __future__ import annotations

import datetime as dt

import numpy as np
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from sqlalchemy import func, select

from shared_models.track import codec
from shared_models.windows import window_of

from ..assessment.engine import evaluate
from ..auth.models import User
from ..cases.models import Case
from ..cases.reports import problems_of_patrol
from ..extensions import db
from ..grids.scope import scope_path
from ..patrols import service as patrols
from ..patrols.models import Patrol
from ..photos.service import photos_of_patrol


def dashboard(user: User, today: dt.date) -> list[dict]:
    """One row per inspector holding a card in scope today: the current window, last patrol, flags, cases."""
    path = scope_path(user)
    frame = evaluate(path, today, today, window_pick=lambda rule: [window_of(rule.window, today,
                                                                             rule.rolling_days or 7)], as_of=today)
    ids = list(frame.inspectors)
    newest = (select(Patrol.inspector_id, func.max(Patrol.started_at).label("at"))
              .where(Patrol.inspector_id.in_(ids)).group_by(Patrol.inspector_id).subquery())
    last = {who: (at, uuid) for who, at, uuid in db.session.execute(
        select(Patrol.inspector_id, Patrol.started_at, Patrol.uuid).join(
            newest, (newest.c.inspector_id == Patrol.inspector_id) & (newest.c.at == Patrol.started_at)))}
    flags = dict(db.session.execute(select(Patrol.inspector_id, func.count()).where(
        Patrol.inspector_id.in_(ids), Patrol.flagged.is_(True), Patrol.review_status.is_(None))
        .group_by(Patrol.inspector_id)).all())
    overdue = dict(db.session.execute(select(Case.assignee_id, func.count()).where(
        Case.assignee_id.in_(ids), Case.overdue.is_(True), Case.status.in_(("assigned", "rectifying")))
        .group_by(Case.assignee_id)).all())
    rows = []
    for person in frame.inspectors.values():
        required = sum(w["required"] for w in person["windows"])
        counted = sum(min(w["counted"], w["required"]) for w in person["windows"])
        light = "grey" if not required else "green" if counted >= required else "red" \
            if person["windows"] and person["windows"][0]["end"] <= today.isoformat() else "amber"
        grid = frame.holdings[person["holdings"][0]]["grid_name"]
        rows.append({"id": person["inspector_id"], "name": person["name"], "phone": person["phone"], "grid": grid,
                     "required": required, "counted": counted, "light": light,
                     "window": person["windows"][0]["window"] if person["windows"] else "—",
                     "last_patrol": last.get(person["inspector_id"], (None, None))[0],
                     "last_uuid": last.get(person["inspector_id"], (None, None))[1],
                     "open_flags": flags.get(person["inspector_id"], 0),
                     "overdue_cases": overdue.get(person["inspector_id"], 0)})
    return sorted(rows, key=lambda r: (r["light"] != "red", r["light"] != "amber", r["grid"], r["name"]))


def patrol_map(p: Patrol) -> dict:
    """GeoJSON for the map: grid, the card's segments, the track coloured by speed, flags at their evidence.

    The track is the display line stored at intake (<= 500 vertices, each piece with its median
    speed): the page costs the same for a 200,000-fix track as for a walk.
    """
    shown = p.display or {}
    coords = (shown.get("line") or {}).get("coordinates") or []
    pieces = [{"type": "Feature", "properties": {"kmh": kmh},
               "geometry": {"type": "LineString", "coordinates": [coords[i], coords[i + 1]]}}
              for i, kmh in enumerate(shown.get("kmh") or [])]
    # the fixes only for a flag pointing into them (no flag of today's analysis does) or a track of one fix
    placed = {f.id: _place(f.evidence) for f in p.flags}  # the analysis says where (today's evidence does)
    track = codec.decode(p.track) if p.flags and (not coords or any(
        placed[f.id] is None and _points_into_track(f.evidence) for f in p.flags)) else None
    flags = []
    for f in p.flags:
        where = placed[f.id] or (_flag_point(f.evidence, track) if track is not None else tuple(coords[0]))
        if where:
            flags.append({"code": f.code, "label": flag_label(f.code), "detail": f.detail, "lon": where[0],
                          "lat": where[1]})
    grid = p.card.grid
    photos = [_photo(ph) for ph in photos_of_patrol(p)]
    problems = [{"uuid": pr.uuid, "category": pr.category, "lon": to_shape(pr.location).x,
                 "lat": to_shape(pr.location).y} for pr in problems_of_patrol(p)]
    return {"grid": mapping(to_shape(grid.boundary)) if grid.boundary is not None else None,
            "segments": [{"type": "Feature", "properties": {"name": s.name},
                          "geometry": mapping(to_shape(s.geom))} for s in p.card.segments],
            "track": {"type": "FeatureCollection", "features": pieces}, "flags": flags, "photos": photos,
            "problems": problems}


def _photo(ph) -> dict:
    """Where and when a photo was taken: the phone's record of the moment first, its EXIF otherwise; and
    whether it was picked from the phone's pictures rather than taken in the app."""
    phone = ph.capture_lon is not None
    taken = ph.captured_at or ph.taken_at
    return {"uuid": ph.uuid, "lon": ph.capture_lon if phone else ph.exif_lon,
            "lat": ph.capture_lat if phone else ph.exif_lat, "taken_at": taken.isoformat() if taken else None,
            "gallery": ph.source == "gallery"}


_INDEX_KEYS, _TIME_KEYS = ("index", "at_index", "fix", "start_index"), ("t", "at", "start_t")


def flag_label(code: str) -> str:
    """A flag's name where a supervisor reads it (轨迹跳跃), the server's own flags too."""
    from shared_models.track.verdict import FLAG_LABELS

    return {**FLAG_LABELS, "replay": "与已有轨迹重复", "below_rule": "未达有效标准"}.get(code, code)


def _place(evidence) -> tuple[float, float] | None:
    """The [lon, lat] a flag's evidence names, if it names one."""
    ll = evidence.get("lonlat") if isinstance(evidence, dict) else None
    if isinstance(ll, list) and len(ll) == 2 and all(isinstance(v, (int, float)) for v in ll):
        return float(ll[0]), float(ll[1])
    return None


def _points_into_track(evidence: dict) -> bool:
    return any(isinstance(evidence.get(k), (int, float)) for k in (*_INDEX_KEYS, *_TIME_KEYS))


def _flag_point(evidence: dict, track) -> tuple[float, float] | None:
    """Where a flag's evidence points on the track: an index or a time in the evidence, else the start."""
    for key in _INDEX_KEYS:
        if isinstance(evidence.get(key), int) and 0 <= evidence[key] < len(track):
            return float(track.lon[evidence[key]]), float(track.lat[evidence[key]])
    for key in _TIME_KEYS:
        if isinstance(evidence.get(key), (int, float)) and len(track):
            k = int(np.clip(np.searchsorted(track.t, evidence[key]), 0, len(track) - 1))
            return float(track.lon[k]), float(track.lat[k])
    return (float(track.lon[0]), float(track.lat[0])) if len(track) else None


def next_in_queue(user: User, after: Patrol) -> str | None:
    """The next flagged patrol waiting for a decision (keyboard: n)."""
    return db.session.scalar(patrols.patrols_in_scope(user).with_only_columns(Patrol.uuid).where(
        Patrol.flagged.is_(True), Patrol.review_status.is_(None), Patrol.uuid != after.uuid)
        .order_by(Patrol.started_at).limit(1))


SPOT_SHARE, SPOT_MIN = 0.05, 5


def spot_check(user: User, period: str) -> tuple[list[Patrol], int]:
    """A random 5% (at least 5) of the month's valid, unreviewed patrols in scope, seeded by the unit and
    month: everyone who opens it sees the same sample, and nobody can pick it."""
    import hashlib
    import random

    from shared_models.clock import local_midnight

    from ..assessment.engine import month_range

    first, last = month_range(period)
    ids = list(db.session.scalars(patrols.patrols_in_scope(user).with_only_columns(Patrol.id).where(
        Patrol.valid.is_(True), Patrol.started_at >= local_midnight(first),
        Patrol.started_at < local_midnight(last + dt.timedelta(days=1))).order_by(Patrol.id)))
    seed = int(hashlib.sha256(f"{user.org_unit.code}:{period}".encode()).hexdigest()[:16], 16)
    size = min(len(ids), max(SPOT_MIN, round(len(ids) * SPOT_SHARE)))
    chosen = sorted(random.Random(seed).sample(ids, size))
    rows = db.session.scalars(select(Patrol).where(Patrol.id.in_(chosen)).order_by(Patrol.started_at)).all()
    return list(rows), len(ids)
