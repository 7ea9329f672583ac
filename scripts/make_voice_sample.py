"""Make tests/data/audio/voice-note.m4a: a 3-second voice-band sound (a gliding pitch with its harmonics, in
syllables) encoded as Android's MediaRecorder records a voice note (AAC-LC, 16 kHz mono, in an MPEG-4
container), for the tests of voice notes and the fake phone's recorder.

It needs PyAV (FFmpeg's encoder), which the project does not install: run it once in a throwaway venv,
``python -m venv /tmp/av && /tmp/av/bin/pip install av numpy && /tmp/av/bin/python scripts/make_voice_sample.py``.
The file is committed; this script is how it was made.
"""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np

RATE = 16_000
SECONDS = 3.0
OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "audio" / "voice-note.m4a"


def voice() -> np.ndarray:
    t = np.arange(int(RATE * SECONDS)) / RATE
    pitch = 140 + 40 * np.sin(2 * np.pi * 0.7 * t)  # a speaking voice's pitch, gliding
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    sound = sum(np.sin(k * phase) / k for k in range(1, 9))
    syllables = np.clip(np.sin(2 * np.pi * 2.5 * t), 0, None) ** 0.5  # five syllables a second, with gaps
    return (0.25 * sound * syllables).astype(np.float32)


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    samples = voice()
    with av.open(str(OUT), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=RATE, layout="mono")
        stream.bit_rate = 32_000
        for start in range(0, len(samples), 1024):
            frame = av.AudioFrame.from_ndarray(samples[None, start:start + 1024], format="fltp", layout="mono")
            frame.sample_rate = RATE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    print(f"{OUT}: {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
