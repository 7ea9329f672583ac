"""Voice notes: an inspector tells of a problem instead of typing; the recording arrives over a weak network in
chunks like a photo, is recognised before any parser reads it, and is played on the case's page."""
import io
import math
import struct
import uuid
import wave
from pathlib import Path

from sqlalchemy import func, select

from server.extensions import db
from server.voicenotes.models import VoiceNote

from .photos import VOICE, VOICE_BYTES, send, start, upload

INSP_A, INSP_B, SUP_OWN = "13900000101", "13900000102", "13900000012"
SUP_THERE = "13900000011"  # 六村堡's supervisor: the problem's point is in his township
M4A = VOICE_BYTES  # AAC in MPEG-4, as Android's MediaRecorder records


def _wav(seconds: float, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 9))) for i in range(int(seconds * rate))))
    return buf.getvalue()


def _count():
    return db.session.scalar(select(func.count()).select_from(VoiceNote))


def _refused(api, token, data):
    pid, _ = start(api, token, data, kind=VOICE)
    r = send(api, token, pid, data, 0, kind=VOICE)
    return pid, r


def test_a_voice_note_in_small_chunks_with_lost_answers_arrives_whole_and_is_told_with_its_problem(engine_name, api):
    token = api.token(INSP_A)
    problem = str(uuid.uuid4())
    pid, _ = start(api, token, M4A, kind=VOICE, problem_uuid=problem)
    offset, step = 0, 3000
    while offset < len(M4A):
        r = send(api, token, pid, M4A, offset, step, kind=VOICE)
        assert r.status_code == 200, r.text
        if offset == 3000:  # this answer was lost: the phone sends the same chunk again, and is told where to go on
            again = send(api, token, pid, M4A, offset, step, kind=VOICE)
            assert again.status_code == 409 and again.json()["offset"] == offset + step
        offset = r.json()["offset"]
    state = api.get(f"{VOICE}/{pid}", token=token).json()
    assert state["complete"] and state["container"] == "m4a" and 2.9 <= state["duration_s"] <= 3.2
    played = api.get(f"{VOICE}/{pid}/audio", token=token)
    assert played.status_code == 200 and played.headers["Content-Type"] == "audio/mp4" and played.content == M4A
    part = api.get(f"{VOICE}/{pid}/audio", token=token, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == M4A[:100]  # a browser's player seeks
    # the report that names it, sent after it, carries it, and its case shows it
    r = api.post("/api/v1/problems", token=token, json={
        "uuid": problem, "category": "luan_dui", "severity": "general", "description": "", "lon": 108.8745,
        "lat": 34.3655, "reported_at": "2026-11-20T09:30:00+08:00"})
    assert r.status_code == 201, r.text
    case = api.get(f"/api/v1/cases/{r.json()['case_no']}", token=api.token(SUP_THERE))
    assert case.status_code == 200, case.text
    case = case.json()
    assert case["problem"]["voice_notes"] == [{"uuid": pid, "duration_s": state["duration_s"]}]
    # who may hear it: the reporter, the reporter's supervisor, the case's managers; not another inspector
    for manager in (SUP_OWN, SUP_THERE):
        assert api.get(f"{VOICE}/{pid}/audio", token=api.token(manager)).content == M4A
    assert api.get(f"{VOICE}/{pid}/audio", token=api.token(INSP_B)).status_code == 404
    assert api.get(f"{VOICE}/{pid}", token=api.token(INSP_B)).status_code == 404


def test_a_wav_is_measured_and_kept(engine_name, api):
    data = _wav(2.0)
    state = upload(api, api.token(INSP_A), data, kind=VOICE)
    assert state["complete"] and state["container"] == "wav" and state["duration_s"] == 2.0
    played = api.get(f"{VOICE}/{state['uuid']}/audio", token=api.token(INSP_A))
    assert played.headers["Content-Type"] == "audio/wav" and played.content == data


def test_what_is_not_a_recording_is_refused_before_any_parser_and_nothing_is_kept(engine_name, api, demo_app):
    token = api.token(INSP_A)
    no_moov = M4A[:2000]  # the container's start (ftyp, part of the sound) without its index
    riff_not_wave = b"RIFF" + struct.pack("<I", 100) + b"AVI " + bytes(100)
    broken_wave = _wav(1.0)[:12] + b"fmt " + bytes(30)
    for data, code in ((b"#!AMR\n" + bytes(200), "voice.unsupported_format"),
                       ("这是一段文字，不是录音".encode() * 20, "voice.unsupported_format"),
                       (riff_not_wave, "voice.unsupported_format"),
                       (no_moov, "voice.invalid_audio"), (broken_wave, "voice.invalid_audio"),
                       (_wav(125.0), "voice.too_long")):
        pid, r = _refused(api, token, data) if len(data) <= 256 * 1024 else (None, None)
        if r is None:  # the long recording needs several chunks
            pid, _ = start(api, token, data, kind=VOICE)
            offset = 0
            while True:
                r = send(api, token, pid, data, offset, kind=VOICE)
                if r.status_code != 200:
                    break
                offset = r.json()["offset"]
        assert r.status_code == 422 and r.json()["code"] == code, (code, r.text)
        assert r.json()["message"] and "Traceback" not in r.text
        assert api.get(f"{VOICE}/{pid}", token=token).status_code == 404  # the phone may start again
    assert _count() == 0
    spool = Path(demo_app.config["PHOTO_DIR"])
    assert not [p for p in spool.rglob("*") if p.is_file() and "voice" in str(p)]


def test_bytes_unlike_their_checksum_the_same_upload_twice_and_the_limits(engine_name, api, demo_app):
    token = api.token(INSP_A)
    pid, body = start(api, token, M4A, kind=VOICE)
    again = api.post(VOICE, token=token, json=body)
    assert again.status_code == 200 and again.json()["uuid"] == pid  # started twice: one upload
    assert api.post(VOICE, token=api.token(INSP_B), json=body).status_code == 409  # not someone else's id
    damaged = bytes([M4A[0] ^ 1]) + M4A[1:]
    r = send(api, token, pid, damaged, 0, len(M4A), kind=VOICE)
    assert r.status_code == 422 and r.json()["code"] == "voice.checksum_mismatch"
    too_big = api.post(VOICE, token=token, json={**body, "uuid": str(uuid.uuid4()),
                                                 "size": demo_app.config["VOICE_MAX_BYTES"] + 1})
    assert too_big.status_code == 422 and too_big.json()["code"] == "voice.too_large"
    assert api.get(f"{VOICE}/{str(uuid.uuid4())}/audio", token=token).status_code == 404
    half, _ = start(api, token, M4A, kind=VOICE)
    send(api, token, half, M4A, 0, 1000, kind=VOICE)
    r = api.get(f"{VOICE}/{half}/audio", token=token)
    assert r.status_code == 409 and r.json()["code"] == "voice.not_complete"
