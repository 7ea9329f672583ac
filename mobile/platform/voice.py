"""Recording a voice note: Android's MediaRecorder on a phone (android_voice.py), a stand-in on the desktop.

A recorder has ``start(path)`` and ``stop() -> bool`` (False: nothing usable was recorded, e.g. stopped at once);
the controller times it and stops it at ``MAX_SECONDS``.
"""
from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

from shared_models.clock import timestamp

MAX_SECONDS = 60  # a sentence or three about a problem; the server takes up to two minutes
SUFFIX = {True: ".m4a", False: ".wav"}  # by on_android()


def recorder():
    from . import on_android

    if on_android():
        from .android_voice import AndroidVoice

        return AndroidVoice(MAX_SECONDS)
    return DesktopVoice()


class DesktopVoice:
    """The desktop has no microphone in the app's stack (Kivy records no sound): this writes a real WAV file as
    long as the recording was held (a soft tone), so the flow, the upload and the console's player can be tried.
    The server checks it as any recording."""

    RATE = 8000

    def start(self, path: Path) -> None:
        self.path, self.began = Path(path), timestamp()

    def stop(self) -> bool:
        seconds = min(MAX_SECONDS, timestamp() - self.began)
        if seconds < 0.5:
            return False
        frames = int(seconds * self.RATE)
        tone = (int(3000 * math.sin(2 * math.pi * 220 * i / self.RATE)) for i in range(frames))
        with wave.open(str(self.path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.RATE)
            w.writeframes(struct.pack(f"<{frames}h", *tone))
        return True
