"""Making real photos for tests, and uploading them the way the phone does."""
from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

from PIL import Image, ImageDraw

CHUNK = 256 * 1024


def jpeg_with_exif(size=(2400, 1800), taken="2026:11:20 09:15:30", offset="+08:00",
                   lonlat=(108.9123, 34.3456)) -> bytes:
    """A camera-like JPEG: EXIF time with offset, GPS position, rotated by orientation 6."""
    img = Image.new("RGB", size, (40, 110, 160))
    draw = ImageDraw.Draw(img)
    for i in range(0, size[0], 37):  # texture so JPEG compression has something to keep
        draw.line([(i, 0), (size[0] - i, size[1])], fill=(200, (i * 7) % 255, 80), width=3)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = taken  # DateTimeOriginal
    if offset:
        ifd[0x9011] = offset  # OffsetTimeOriginal
    gps = exif.get_ifd(0x8825)

    def dms(v):
        d = int(v)
        m = int((v - d) * 60)
        s = round(((v - d) * 60 - m) * 60, 4)
        return (d, m, s)

    gps[1], gps[2] = "N", dms(lonlat[1])
    gps[3], gps[4] = "E", dms(lonlat[0])
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue()


def png_bomb(side=20000) -> bytes:
    """A tiny file that claims side x side pixels (400 million)."""
    buf = io.BytesIO()
    Image.new("1", (side, side)).save(buf, "PNG", optimize=True)
    return buf.getvalue()


PHOTOS, VOICE = "/api/v1/photos", "/api/v1/voice-notes"  # the two resumable uploads, the same protocol
# a voice note as Android's MediaRecorder records one (AAC in MPEG-4): scripts/make_voice_sample.py
VOICE_BYTES = (Path(__file__).parent / "data" / "audio" / "voice-note.m4a").read_bytes()


def start(api, token, data: bytes, *, kind: str = PHOTOS, **links) -> tuple[str, dict]:
    pid = str(uuid.uuid4())
    body = {"uuid": pid, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            **{k: str(v) for k, v in links.items()}}
    r = api.post(kind, token=token, json=body)
    assert r.status_code == 201, r.text
    return pid, body


def send(api, token, pid: str, data: bytes, offset: int, size: int = CHUNK, *, kind: str = PHOTOS):
    return api.request("PATCH", f"{kind}/{pid}", token=token, data=data[offset:offset + size],
                       headers={"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})


def upload(api, token, data: bytes, *, kind: str = PHOTOS, chunk: int = CHUNK, **links) -> dict:
    pid, _ = start(api, token, data, kind=kind, **links)
    offset, r = 0, None
    while offset < len(data):
        r = send(api, token, pid, data, offset, chunk, kind=kind)
        assert r.status_code == 200, r.text
        offset = r.json()["offset"]
    return r.json()
