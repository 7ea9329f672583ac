"""What a voice note is, recognised from its first bytes before any parser reads it, then measured by mutagen
(pure Python: no C library sees the bytes).

Android's MediaRecorder writes AAC in an MPEG-4 container (``ftyp`` at byte 4; brand ``3gp*`` for 3GPP, with AMR
inside), a desktop's recorder WAV (``RIFF....WAVE``). Anything else is refused.
"""
from __future__ import annotations

from pathlib import Path

import mutagen
from mutagen.mp4 import MP4
from mutagen.wave import WAVE

from ..errors import ApiError

MIMETYPES = {"m4a": "audio/mp4", "3gp": "audio/3gpp", "wav": "audio/wav"}


def recognise(head: bytes) -> str | None:
    """The container from the file's first 12 bytes, or None."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "3gp" if head[8:11] == b"3gp" else "m4a"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    return None


def inspect(path: Path, max_seconds: float) -> tuple[str, float]:
    """(container, duration in seconds) of a whole upload; ``voice.*`` refusals otherwise."""
    with open(path, "rb") as fh:
        container = recognise(fh.read(12))
    if container is None:
        raise ApiError("voice.unsupported_format", 422)
    try:
        info = (WAVE if container == "wav" else MP4)(path).info
    except (mutagen.MutagenError, ValueError, EOFError, OverflowError):
        raise ApiError("voice.invalid_audio", 422) from None
    seconds = float(info.length or 0)
    if seconds <= 0 or not getattr(info, "channels", 0):
        raise ApiError("voice.invalid_audio", 422)  # a container with no sound in it
    if seconds > max_seconds:
        raise ApiError("voice.too_long", 422, limit=max_seconds)
    return container, round(seconds, 1)
