"""Patrol intake and reads. Intake: decode, validate, judge against the card in force on the
patrol's day, look for replays, store once per client UUID, in the caller's unit of work; the
events (``patrols/events.py``) are sent once it has committed."""
from __future__ import annotations

import base64
import binascii
import datetime as dt

from geoalchemy2 import functions as gfunc
from geoalchemy2.shape import to_shape
from shapely.geometry import LineString
from sqlalchemy import column, or_, select, table

from shared_models.clock import local_day, local_midnight, utcnow
from shared_models.track import Track, TrackError, codec, replay
from shared_models.track.analysis import analyze
from shared_models.track.verdict import Reason

from ..audit import service as audit
from ..auth.models import User
from ..cards.models import ResponsibilityCard
from ..cards.service import cards_in_scope
from ..errors import ApiError, NotFound
from ..extensions import db
from ..geo import to_db
from ..grids.models import OrgUnit
from ..grids.scope import scope_path, under, under_grid
from ..idempotency import body_hash, create_once
from ..rules.book import Rule, validity_for
from ..transaction import after_commit
from .events import patrol_received, patrol_reviewed
from .export import display
from .models import Patrol, PatrolFlag

REPLAY_SCORE = 0.8  # most fixes within a metre of another patrol's fixes: the same recording again
REPLAY_CANDIDATES = 50
# the R*Tree SpatiaLite keeps for patrols.geom (pkid is the patrol's id)
SPATIALITE_INDEX = table("idx_patrols_geom", column("pkid"), column("xmin"), column("xmax"), column("ymin"),
                         column("ymax"))


def evidence_reasons(config: Rule | None, source: str, checklist: dict) -> list[Reason]:
    """What the rule asks beyond the track: the checklist ticked, an allowed way of patrolling."""
    if config is None:
        return []
    out = []
    missing = [k for k in (config.required_checklist or []) if not checklist.get(k)]
    if missing:
        out.append(Reason("checklist_missing", f"巡查项未勾选：{'、'.join(missing)}",
                          f"Checklist items not ticked: {', '.join(missing)}"))
    if config.allowed_sources is not None and source not in config.allowed_sources:
        out.append(Reason("source_not_allowed", f"本地不认可该巡河方式（{source}）",
                          f"This way of patrolling ({source}) does not count here"))
    return out


def track_error(exc: TrackError) -> ApiError:
    return ApiError(exc.code, 422, message=(exc.zh, exc.en), **exc.detail)


def _invalid(**errors) -> ApiError:
    return ApiError("patrol.invalid", 422, errors=errors)


def decode_track(b64: str) -> Track:
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(track="不是 base64 编码 / not base64") from None
    try:
        return codec.decode(raw)
    except TrackError as exc:
        raise track_error(exc) from None


def card_for_patrol(user: User, card_id: int, started_at: dt.datetime) -> ResponsibilityCard:
    """The version of the card in force on the patrol's (Asia/Shanghai) day, held by the caller or naming them
    as the holder's assistant (a patrol on the holder's behalf, 代巡)."""
    card = db.session.scalar(cards_in_scope(user).where(ResponsibilityCard.id == card_id))
    if card is None or user.id not in (card.inspector_id, card.assistant_id):
        raise NotFound()
    day = local_day(started_at)
    version = db.session.scalar(select(ResponsibilityCard).where(
        ResponsibilityCard.card_no == card.card_no, ResponsibilityCard.valid_from <= day,
        or_(ResponsibilityCard.valid_to.is_(None), ResponsibilityCard.valid_to >= day)))
    if version is None or user.id not in (version.inspector_id, version.assistant_id):
        raise _invalid(card_id=f"该责任卡在 {day} 不属于您 / the card was not yours on {day}")
    return version


def _replays(track: Track, uuid: str) -> list[dict]:
    """Earlier patrols (of anyone) whose fixes this track repeats, found by place, then compared.

    Bounded whatever the fixes: the upload is indexed once (linear), each of at most
    ``REPLAY_CANDIDATES`` candidates is compared through its stored sketch (a few
    kilobytes, never its track decoded), and candidates are found by bounding box through
    the spatial index, without reading their geometries.
    """
    if len(track) < 2:
        return []
    minx, miny, maxx, maxy = (float(v) for v in (track.lon.min(), track.lat.min(), track.lon.max(), track.lat.max()))
    if db.engine.dialect.name == "postgresql":  # && : the boxes overlap, through the GiST index
        overlaps = Patrol.geom.intersects(gfunc.ST_MakeEnvelope(minx, miny, maxx, maxy, 4326))
    else:  # SpatiaLite's R*Tree of the column, asked directly
        box = SPATIALITE_INDEX.c
        overlaps = Patrol.id.in_(select(box.pkid).where(box.xmin <= maxx, box.xmax >= minx, box.ymin <= maxy,
                                                        box.ymax >= miny))
    candidates = db.session.execute(
        select(Patrol.uuid, Patrol.inspector_id, Patrol.started_at, Patrol.replay_sketch)
        .where(Patrol.uuid != uuid, Patrol.replay_sketch.is_not(None), overlaps)
        .order_by(Patrol.started_at.desc()).limit(REPLAY_CANDIDATES)).all()
    if not candidates:
        return []
    index = replay.UploadIndex(track)
    found = []
    for other in candidates:
        score = index.compare(other.replay_sketch, REPLAY_SCORE)  # screened first, as may_replay does
        if score["score"] >= REPLAY_SCORE:
            found.append({"patrol_uuid": other.uuid, "inspector_id": other.inspector_id, **score,
                          "time_shift_s": round(float(track.t[0] - other.started_at.timestamp()))})
    return found


def repeat_of(user: User, uuid: str, digest: str) -> Patrol | None:
    """The patrol already stored under ``uuid`` (a repeat answers before any heavy work)."""
    stored = db.session.scalar(select(Patrol).where(Patrol.uuid == uuid))
    if stored is not None and (stored.body_hash != digest or stored.inspector_id != user.id):
        raise ApiError("idempotency.conflict", 409, uuid=uuid)
    return stored


def intake(user: User, data: dict, track: Track, source: str, digest: str) -> tuple[Patrol, bool]:
    """Judge and store a patrol once; the same UUID and body again answers with the stored one."""
    uuid = str(data["uuid"])
    stored = repeat_of(user, uuid, digest)
    if stored is not None:
        return stored, False
    now = utcnow()
    try:
        track.validate(now=now)
    except TrackError as exc:
        raise track_error(exc) from None
    started = dt.datetime.fromtimestamp(float(track.t[0]), dt.UTC)
    card = card_for_patrol(user, data["card_id"], started)
    segments = card.segments
    if data.get("segment_ids"):
        wanted = set(data["segment_ids"])
        segments = [s for s in card.segments if s.id in wanted]
        if len(segments) != len(wanted):
            raise _invalid(segment_ids="河段不在该责任卡上 / segments not on the card")
    events = data.get("lifecycle_events") or []
    rule, config = validity_for(card, local_day(started))
    result = analyze(track, segments=[to_shape(s.geom) for s in segments], grid=to_shape(card.grid.boundary)
                     if card.grid.boundary is not None else None, rule=rule, lifecycle_events=events,
                     now=now)
    result.reasons.extend(evidence_reasons(config, source, data.get("checklist") or {}))
    result.valid = not result.reasons
    shown = display(track.lon, track.lat, track.t)
    flags = [PatrolFlag(code=f.code, detail=f.detail, evidence=f.evidence) for f in result.flags]
    if config is not None and config.on_fail == "flag" and result.reasons and result.fixes:
        # this county reviews rather than refuses: valid pending a supervisor, who sees why
        flags.append(PatrolFlag(code="below_rule", evidence={"reasons": [r.code for r in result.reasons]},
                                detail="未达有效巡河标准，待审核 / Below the validity rule, for review: "
                                       + "；".join(str(r) for r in result.reasons)))
        result.valid = True
    replays = _replays(track, uuid)
    if replays:
        flags.append(PatrolFlag(code="replay", evidence={"matches": replays[:5]},
                                detail="轨迹与已有巡河记录几乎相同 / The track repeats an earlier patrol"))
    analysis = result.to_dict()
    analysis["flags"] = [{"code": f.code, "detail": f.detail, "evidence": f.evidence} for f in flags]

    def build() -> Patrol:
        return Patrol(
            uuid=uuid, body_hash=digest, inspector_id=user.id, card_id=card.id, grid_id=card.grid_id,
            for_user_id=card.inspector_id if card.inspector_id != user.id else None,
            source=source, started_at=started, ended_at=dt.datetime.fromtimestamp(float(track.t[-1]), dt.UTC),
            track=codec.encode(track), fix_count=len(track), geom=to_db(LineString(shown["line"]["coordinates"]))
            if shown else None, display=shown, replay_sketch=replay.sketch(track),
            distance_m=result.distance_m, duration_s=result.duration_s, coverage=result.coverage,
            valid=result.valid, flagged=bool(flags), analysis=analysis, analysis_version=result.analysis_version,
            rules_version=result.rule.version, checklist=data.get("checklist") or {}, notes=data.get("notes", ""),
            lifecycle_events=[{"at": e["at"].isoformat(), "event": e["event"]} for e in events],
            segments=list(segments), flags=flags)

    patrol, created = create_once(Patrol, uuid, digest, build)
    if created:
        after_commit(patrol_received.send, patrol)
    return patrol, created


def review(user: User, uuid: str, decision: str, note: str) -> Patrol:
    """A supervisor's decision: clear a flagged patrol (it counts) or reject a patrol (it never counts).
    Every decision is kept in the audit log (the patrol holds the last); changing one needs a reason."""
    patrol = get(user, uuid)
    if decision == "clear" and not patrol.flagged and patrol.review_status != "rejected":  # (undoing one is clear)
        raise ApiError("review.invalid", 409, errors={"decision": "该巡河没有待审核的标记 / nothing flagged to clear"})
    if decision == "reject" and not note.strip():
        raise ApiError("review.invalid", 422, errors={"note": "驳回须写明理由 / a rejection needs a reason"})
    if patrol.review_status == ("cleared" if decision == "clear" else "rejected"):
        return patrol  # the same decision again changes nothing
    if patrol.review_status is not None and not note.strip():
        raise ApiError("review.invalid", 422, errors={"note": "改变已有的审核结论须写明理由 / changing a decision "
                                                              "needs a reason"})
    before = {"review_status": patrol.review_status, "review_note": patrol.review_note}
    patrol.review_status = "cleared" if decision == "clear" else "rejected"
    patrol.reviewed_by_id, patrol.reviewed_at, patrol.review_note = user.id, utcnow(), note
    db.session.flush()
    audit.record(user, "patrol.reviewed", "patrol", patrol.uuid, scope_path=_path(patrol),
                 subject_id=patrol.inspector_id, before=before,
                 after={"review_status": patrol.review_status, "review_note": note}, note=note)
    after_commit(patrol_reviewed.send, patrol, decision=decision, note=note)
    return patrol


def upload(user: User, data: dict) -> tuple[Patrol, bool]:
    digest = body_hash(data)
    if data["ended_at"] < data["started_at"]:
        raise _invalid(ended_at="结束时间早于开始时间 / ends before it starts")
    stored = repeat_of(user, str(data["uuid"]), digest)
    if stored is not None:
        return stored, False
    return intake(user, data, decode_track(data["track"]), "app", digest)


def patrols_in_scope(user: User):
    path = scope_path(user)
    q = select(Patrol)
    if path is None:  # their own, and those walked on their behalf (代巡)
        return q.where(or_(Patrol.inspector_id == user.id, Patrol.for_user_id == user.id))
    return q.where(Patrol.grid_id.in_(under(path)))


def search(user: User, args: dict) -> list[Patrol]:
    q = patrols_in_scope(user)
    if "inspector_id" in args:  # who walked it, or whom it was walked for
        q = q.where(or_(Patrol.inspector_id == args["inspector_id"], Patrol.for_user_id == args["inspector_id"]))
    if "grid_id" in args:
        q = q.where(Patrol.grid_id.in_(under_grid(args["grid_id"])))
    if "date_from" in args:
        q = q.where(Patrol.started_at >= local_midnight(args["date_from"]))
    if "date_to" in args:
        q = q.where(Patrol.started_at < local_midnight(args["date_to"] + dt.timedelta(days=1)))
    if "valid" in args:
        q = q.where(Patrol.valid.is_(args["valid"]))
    if "flag" in args:
        q = q.where(Patrol.id.in_(select(PatrolFlag.patrol_id).where(PatrolFlag.code == args["flag"])))
    q = q.order_by(Patrol.started_at.desc()).limit(args.get("limit", 200)).offset(args.get("offset", 0))
    return list(db.session.scalars(q))


def get(user: User, uuid: str) -> Patrol:
    patrol = db.session.scalar(patrols_in_scope(user).where(Patrol.uuid == uuid))
    if patrol is None:
        raise NotFound()
    return patrol


def look(user: User, uuid: str, action: str = "track.viewed", note: str = "") -> Patrol:
    """A patrol with its track, for ``user``: a look by anyone but the inspector is kept in the audit log
    (tracks are sensitive personal information: PIPL art. 28)."""
    patrol = get(user, uuid)
    audit.viewed(user, action, "patrol", patrol.uuid, owner_id=patrol.inspector_id, scope_path=_path(patrol),
                 note=note)
    return patrol


def _path(patrol: Patrol) -> str:
    return db.session.get(OrgUnit, patrol.grid_id).path


def history(patrol: Patrol) -> list:
    """Every review decision on the patrol, oldest first."""
    return audit.history("patrol", patrol.uuid, "patrol.reviewed")

