"""The wire contract (shared_models/wire.py) is what both sides hold to: the bodies the phone builds
are what the server's schemas accept, and what the server answers has the fields the phone reads."""
import base64
import uuid

from shapely.geometry import LineString

from server.cases.schemas import ProblemCreateSchema, TransitionSchema
from server.patrols.schemas import PatrolUploadSchema
from server.photos.schemas import PhotoCreateSchema
from shared_models import wire
from shared_models.errors import MESSAGES
from shared_models.track import codec

from .patrol_data import card_of, patrol_body, walk_on
from .tracks import walk_along

INSP = "13900000101"
T0 = 1_795_000_000.0  # 2026-11-18 (any instant: the body carries it, nothing compares it to today)


def test_every_body_the_phone_builds_is_what_the_server_accepts():
    walked = walk_on_line()
    bodies = {
        PatrolUploadSchema: (wire.PATROL_FIELDS, wire.patrol_upload(
            uuid=str(uuid.uuid4()), card_id=7, segment_ids=[1, 2], started_at=T0, ended_at=T0 + 1800,
            track_b64=base64.b64encode(codec.encode(walked)).decode(), checklist={"垃圾": "无"}, notes="",
            events=[{"at": T0 + 60, "event": "gps_lost"}])),
        ProblemCreateSchema: (wire.PROBLEM_FIELDS, wire.problem_report(
            uuid=str(uuid.uuid4()), category="luan_dui", severity="serious", description="垃圾", lon=108.9, lat=34.3,
            accuracy_m=5.0, reported_at=T0, photo_uuids=[str(uuid.uuid4())], patrol_uuid=None)),
        TransitionSchema: (wire.CASE_STEP_FIELDS, wire.case_step(
            action="recheck_pass", client_uuid=str(uuid.uuid4()), base_version=3, at=T0, lon=108.9, lat=34.3,
            note="已清理", photo_uuids=[])),
        PhotoCreateSchema: (wire.PHOTO_FIELDS, wire.photo_upload(
            uuid=str(uuid.uuid4()), size=1000, sha256="a" * 64, patrol_uuid=None, problem_uuid=str(uuid.uuid4()),
            captured_at=T0 + 90, capture_lon=108.9, capture_lat=34.3, capture_accuracy=4.0, source="camera")),
    }
    for schema, (names, body) in bodies.items():
        assert tuple(body) == names, schema.__name__
        assert set(names) <= set(schema().fields), schema.__name__  # no field the server would refuse as unknown
        loaded = schema().load(body)  # and every value passes the server's validation
        assert set(loaded) >= {n for n in names if body[n] is not None}, schema.__name__
    assert bodies[PatrolUploadSchema][1]["started_at"] == "2026-11-18T11:06:40+00:00"  # the phone's epoch, in UTC


def walk_on_line():
    return walk_along(LineString([(108.90, 34.30), (108.905, 34.301)]), T0)


def test_the_codes_the_phone_switches_on_are_the_servers():
    assert set(MESSAGES) >= wire.RETRYABLE_CODES and set(MESSAGES) >= wire.SIGN_IN_AGAIN
    assert not wire.RETRYABLE_CODES & wire.SIGN_IN_AGAIN
    assert wire.retryable(503, "service.unavailable") and wire.retryable(409, "photo.offset_mismatch")
    assert not wire.retryable(422, "validation_error") and not wire.retryable(409, "idempotency.conflict")


def test_the_server_answers_with_the_fields_the_phone_reads(engine_name, api):
    token = api.token(INSP)
    card = card_of(INSP)
    r = api.post("/api/v1/patrols", token=token, json=patrol_body(walk_on(card), card))
    assert r.status_code == 201, r.text
    assert set(wire.VERDICT_FIELDS) <= set(r.json())  # the upload's answer carries the whole verdict
    changes = api.get("/api/v1/me/changes", token=token).json()
    assert set(changes) == set(wire.CHANGES_FIELDS)
    (verdict,) = [v for v in changes["patrols"] if v["uuid"] == r.json()["uuid"]]
    assert set(verdict) == {"uuid", "updated_at", *wire.VERDICT_FIELDS}
    assert wire.verdict(verdict) == wire.verdict(r.json())  # the same verdict, whichever way it arrives
    assert changes["cards"][0]["validity"]["version"] and changes["cards"][0]["grid_path_names"][0] == "未央区"
