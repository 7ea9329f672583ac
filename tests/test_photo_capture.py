"""A photo keeps the phone's record of the moment it was taken: the time, where the recorder was, and whether it
was taken in the app or picked from the phone's pictures (the supervisor sees which)."""
import datetime as dt
import hashlib
import uuid

from shared_models import wire

from .photos import jpeg_with_exif, send

INSPECTOR = "13900000101"
SHOT = dt.datetime(2026, 11, 20, 1, 20, 5, tzinfo=dt.UTC)


def _start(api, token, data: bytes, older: bool = False, **capture):
    body = wire.photo_upload(uuid=str(uuid.uuid4()), size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                             patrol_uuid=None, problem_uuid=None, **capture)
    if older:  # a phone from before this release knows none of the capture fields
        body = {k: body[k] for k in ("uuid", "size", "sha256", "patrol_uuid", "problem_uuid")}
    return api.post("/api/v1/photos", token=token, json=body), body


def test_the_phones_record_of_the_shot_is_kept_beside_the_exif(engine_name, api):
    token, data = api.token(INSPECTOR), jpeg_with_exif(size=(1600, 1200))
    r, body = _start(api, token, data, captured_at=SHOT.timestamp(), capture_lon=108.91, capture_lat=34.33,
                     capture_accuracy=6.5, source="gallery")
    assert r.status_code == 201, r.text
    offset = 0
    while offset < len(data):
        done = send(api, token, body["uuid"], data, offset).json()
        offset = done["offset"]
    assert done["complete"]
    shown = api.get(f"/api/v1/photos/{body['uuid']}", token=token).json()
    assert dt.datetime.fromisoformat(shown["captured_at"]) == SHOT
    assert (shown["capture_lon"], shown["capture_lat"], shown["capture_accuracy"]) == (108.91, 34.33, 6.5)
    assert shown["source"] == "gallery"
    assert dt.datetime.fromisoformat(shown["taken_at"]) != SHOT  # the EXIF time stays what the file said


def test_an_older_phone_sends_none_of_it(engine_name, api):
    token, data = api.token(INSPECTOR), jpeg_with_exif(size=(800, 600))
    r, body = _start(api, token, data, older=True)
    assert r.status_code == 201 and "source" not in body
    shown = api.get(f"/api/v1/photos/{body['uuid']}", token=token).json()
    assert shown["source"] is None and shown["captured_at"] is None


def test_what_no_phone_records_is_refused(engine_name, api):
    token, data = api.token(INSPECTOR), jpeg_with_exif(size=(800, 600))
    for bad in ({"source": "screenshot"}, {"capture_lat": 91.0, "capture_lon": 108.9}, {"capture_accuracy": -1.0}):
        r, _ = _start(api, token, data, **bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["code"] and r.json()["message"]
