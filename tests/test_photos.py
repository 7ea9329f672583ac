"""Photos over a weak network: chunks, resume after cuts, checks, EXIF, re-encoding."""
import concurrent.futures
import datetime as dt
import hashlib
import io
import random
import threading

from PIL import Image
from sqlalchemy import func, select

from server.extensions import db
from server.photos.models import Photo

from .photos import CHUNK, jpeg_with_exif, png_bomb, send, start, upload

INSP_A, INSP_B, SUP_OWN, SUP_OTHER = "13900000101", "13900000102", "13900000012", "13900000011"


def _count():
    return db.session.scalar(select(func.count()).select_from(Photo))


def _files(root):
    return sorted(p.name for p in root.rglob("*") if p.is_file())


def test_upload_cut_at_random_points_and_resumed_arrives_whole(engine_name, api, demo_app):
    token = api.token(INSP_A)
    data = jpeg_with_exif(size=(3000, 2200))
    assert len(data) > 3 * CHUNK
    pid, _ = start(api, token, data)
    rng = random.Random(7)
    offset = 0
    while offset < len(data):
        size = rng.randint(1, CHUNK)
        r = send(api, token, pid, data, offset, size)
        assert r.status_code == 200, r.text
        if rng.random() < 0.4:
            # the answer was lost: the phone asks the server where to go on from
            status = api.get(f"/api/v1/photos/{pid}", token=token)
            assert status.headers["Upload-Offset"] == str(status.json()["offset"])
            offset = status.json()["offset"]
            if rng.random() < 0.5 and offset < len(data):
                # and it re-sends an old chunk: refused with the right offset, nothing changes
                stale = send(api, token, pid, data, max(0, offset - 10), 10)
                assert stale.status_code == 409 and stale.json()["offset"] == offset
        else:
            offset = r.json()["offset"]
    final = api.get(f"/api/v1/photos/{pid}", token=token).json()
    assert final["complete"] is True and final["offset"] == len(data)
    photo = db.session.scalar(select(Photo).where(Photo.uuid == pid))
    assert photo.sha256 == hashlib.sha256(data).hexdigest()  # checked over the reassembled bytes
    # a last chunk re-sent after its answer was lost is harmless
    again = send(api, token, pid, data, len(data) - 100, 100)
    assert again.status_code == 200 and again.json()["complete"] is True


def test_photo_is_re_encoded_with_thumbnail_and_exif_time_and_place(engine_name, api):
    token = api.token(INSP_A)
    done = upload(api, token, jpeg_with_exif(size=(4000, 3000)))
    assert done["complete"]
    # EXIF orientation applied: the portrait photo is stored upright, long edge 1600
    assert (done["width"], done["height"]) == (3000, 4000)
    img = Image.open(io.BytesIO(api.get(f"/api/v1/photos/{done['uuid']}/image", token=token).content))
    assert img.format == "JPEG" and max(img.size) == 1600 and img.size[1] > img.size[0]
    thumb = Image.open(io.BytesIO(api.get(f"/api/v1/photos/{done['uuid']}/thumbnail", token=token).content))
    assert max(thumb.size) == 320
    # 09:15:30 at +08:00 is 01:15:30 UTC
    assert dt.datetime.fromisoformat(done["taken_at"]) == dt.datetime(2026, 11, 20, 1, 15, 30, tzinfo=dt.UTC)
    assert abs(done["exif_lon"] - 108.9123) < 1e-4 and abs(done["exif_lat"] - 34.3456) < 1e-4


def test_exif_time_without_offset_is_read_as_china_time(engine_name, api):
    done = upload(api, api.token(INSP_A), jpeg_with_exif(size=(800, 600), offset=None))
    assert dt.datetime.fromisoformat(done["taken_at"]) == dt.datetime(2026, 11, 20, 1, 15, 30, tzinfo=dt.UTC)


def _refused(api, data, code, demo_app):
    token = api.token(INSP_A)
    before = _count()
    pid, _ = start(api, token, data)
    offset, r = 0, None
    while offset < len(data):
        r = send(api, token, pid, data, offset)
        if r.status_code != 200:
            break
        offset = r.json()["offset"]
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code
    assert r.json()["message"] and r.json()["message_en"]
    assert _count() == before  # nothing stored
    root = demo_app.config["PHOTO_DIR"]
    assert root not in r.text and pid not in r.text and "/tmp" not in r.text  # no server path in the answer
    from pathlib import Path

    assert _files(Path(root)) == []
    assert api.get(f"/api/v1/photos/{pid}", token=token).status_code == 404


def test_text_file_named_jpg_is_refused(engine_name, api, demo_app):
    _refused(api, "这不是照片 not a photo\n".encode() * 100, "photo.invalid_image", demo_app)


def test_decompression_bomb_is_refused_before_decoding(engine_name, api, demo_app):
    bomb = png_bomb()
    assert len(bomb) < 200_000
    _refused(api, bomb, "photo.too_many_pixels", demo_app)


def test_truncated_jpeg_is_refused(engine_name, api, demo_app):
    data = jpeg_with_exif(size=(1200, 900))
    _refused(api, data[: len(data) // 2], "photo.invalid_image", demo_app)


def test_gif_is_refused(engine_name, api, demo_app):
    buf = io.BytesIO()
    Image.new("RGB", (50, 50)).save(buf, "GIF")
    _refused(api, buf.getvalue(), "photo.unsupported_format", demo_app)


def test_bytes_that_do_not_match_the_checksum_are_refused(engine_name, api, demo_app):
    token = api.token(INSP_A)
    data = jpeg_with_exif(size=(800, 600))
    pid, _ = start(api, token, data)
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0xFF
    r = send(api, token, pid, bytes(damaged), 0, len(data))
    assert r.status_code == 422 and r.json()["code"] == "photo.checksum_mismatch"
    assert _count() == 0
    # the phone starts again with the same id and the right bytes
    pid2 = pid
    r = api.post("/api/v1/photos", token=token, json={
        "uuid": pid2, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    assert r.status_code == 201
    assert send(api, token, pid2, data, 0, len(data)).json()["complete"] is True


def test_limits_on_chunks_and_sizes(engine_name, api):
    token = api.token(INSP_A)
    data = jpeg_with_exif(size=(2000, 1500))
    pid, body = start(api, token, data)
    r = send(api, token, pid, data + b"x" * CHUNK, 0, CHUNK + 1)
    assert r.status_code == 413 and r.json()["code"] == "photo.chunk_too_large"
    r = send(api, token, pid, data, 5, 10)
    assert r.status_code == 409 and r.json()["code"] == "photo.offset_mismatch" and r.json()["offset"] == 0
    r = api.request("PATCH", f"/api/v1/photos/{pid}", token=token, data=b"abc")
    assert r.status_code == 400 and r.json()["code"] == "bad_request"
    r = api.post("/api/v1/photos", token=token, json={**body, "uuid": "8d9f8f8e-1111-4111-8111-111111111111",
                                                       "size": 100 * 1024 * 1024})
    assert r.status_code == 422 and r.json()["code"] == "photo.too_large"
    small = b"\xff\xd8" + b"\x00" * 20
    pid_small, _ = start(api, token, small)
    r = send(api, token, pid_small, small + b"extra", 0, len(small) + 5)
    assert r.status_code == 422 and r.json()["code"] == "photo.too_large"


def test_starting_the_same_upload_twice_is_idempotent(engine_name, api):
    token = api.token(INSP_A)
    data = jpeg_with_exif(size=(800, 600))
    pid, body = start(api, token, data)
    send(api, token, pid, data, 0, 1000)
    again = api.post("/api/v1/photos", token=token, json=body)
    assert again.status_code == 200 and again.json()["offset"] == 1000
    other = api.post("/api/v1/photos", token=token, json={**body, "sha256": "0" * 64})
    assert other.status_code == 409 and other.json()["code"] == "photo.conflict"
    # another person cannot take over the id either
    theirs = api.post("/api/v1/photos", token=api.token(INSP_B), json=body)
    assert theirs.status_code == 409


def test_who_may_see_a_photo(engine_name, api):
    token = api.token(INSP_A)
    done = upload(api, token, jpeg_with_exif(size=(800, 600)))
    path = f"/api/v1/photos/{done['uuid']}"
    assert api.get(path, token=api.token(SUP_OWN)).status_code == 200
    assert api.get(path + "/thumbnail", token=api.token(SUP_OWN)).status_code == 200
    for phone in (INSP_B, SUP_OTHER):
        assert api.get(path, token=api.token(phone)).status_code == 404
        assert api.get(path + "/image", token=api.token(phone)).status_code == 404
    # only the owner may send bytes
    pid, _ = start(api, token, b"\xff\xd8" + b"1" * 50)
    r = send(api, api.token(SUP_OWN), pid, b"\xff\xd8" + b"1" * 50, 0)
    assert r.status_code == 404


def test_unfinished_uploads_are_kept_a_day_then_pruned(engine_name, api, demo_app):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from server.photos.service import partial_path

    token = api.token(INSP_A)
    data = jpeg_with_exif(size=(800, 600))
    other = jpeg_with_exif(size=(640, 480))
    old, _ = start(api, token, data)
    recent, _ = start(api, token, other)
    assert send(api, token, old, data, 0, 1000).status_code == 200
    assert send(api, token, recent, other, 0, 1000).status_code == 200
    db.session.execute(Photo.__table__.update().where(Photo.uuid == old)
                       .values(updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=50)))
    db.session.execute(Photo.__table__.update().where(Photo.uuid == recent)
                       .values(updated_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=23)))
    db.session.commit()
    env = {**os.environ, "RIVERPATROL_DATABASE_URL": demo_app.config["SQLALCHEMY_DATABASE_URI"].split("?")[0],
           "RIVERPATROL_PHOTO_DIR": demo_app.config["PHOTO_DIR"]}
    # asking for less than a day still keeps a day
    r = subprocess.run([str(Path(sys.executable).parent / "riverpatrol"), "photos", "prune", "--older-than-hours",
                        "1"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "pruned 1" in r.stdout
    assert api.get(f"/api/v1/photos/{old}", token=token).status_code == 404
    assert not partial_path(old).exists()
    assert api.get(f"/api/v1/photos/{recent}", token=token).json()["offset"] == 1000
    assert send(api, token, recent, other, 1000, len(other)).json()["complete"] is True


def _at_once(api, token, pid, data, offset, n=2):
    start = threading.Barrier(n)

    def one(_):
        start.wait()
        return send(api, token, pid, data, offset)

    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_the_same_chunk_sent_twice_at_once_is_written_once(engine_name, api, demo_app):
    """A phone on a flaky network resends a chunk while the first send is still in flight."""
    from server.storage import storage

    token = api.token(INSP_A)
    for _ in range(5):
        data = jpeg_with_exif(size=(2000, 1500))  # three chunks
        pid, _ = start(api, token, data)
        last = (len(data) - 1) // CHUNK * CHUNK
        assert last >= CHUNK
        middle = _at_once(api, token, pid, data, 0)  # a middle chunk: one writes it, the other hears the offset
        assert sorted(r.status_code for r in middle) in ([200, 200], [200, 409]), [r.text for r in middle]
        for r in middle:
            assert r.json()["offset"] == CHUNK
            assert r.status_code == 200 or r.json()["code"] == "photo.offset_mismatch"
        offset = CHUNK
        while offset < last:
            assert send(api, token, pid, data, offset).status_code == 200
            offset += CHUNK
        final = _at_once(api, token, pid, data, last)  # the last chunk: both hear that it is complete
        assert [r.status_code for r in final] == [200, 200], [r.text for r in final]
        assert all(r.json()["complete"] and r.json()["offset"] == len(data) for r in final)
        assert api.get(f"/api/v1/photos/{pid}", token=token).json()["ready"] is True
        assert storage().get_bytes(f"original/{pid[:2]}/{pid}") == data
    assert _count() == 5
