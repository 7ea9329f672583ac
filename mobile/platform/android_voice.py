"""A voice note through Android's MediaRecorder: AAC at 16 kHz, mono, 32 kbit/s, in an MPEG-4 file (.m4a): about
240 KB a minute, clear for speech, and what the server recognises. Needs RECORD_AUDIO (asked when first used).

plyer's audio records with every setting at DEFAULT (AMR-NB at 8 kHz on most phones) and lets ``stop()`` throw
when nothing was recorded yet; this is the same few calls, in the documented order (source, format, encoder,
file, prepare, start), with the settings speech needs and that case handled.
"""
from __future__ import annotations

from pathlib import Path

from jnius import JavaException, autoclass

from .android import context, sdk

MIC = 1  # MediaRecorder.AudioSource.MIC
MPEG_4 = 2  # MediaRecorder.OutputFormat.MPEG_4
AAC = 3  # MediaRecorder.AudioEncoder.AAC (AAC-LC)


class AndroidVoice:
    def __init__(self, max_seconds: int) -> None:
        self._rec, self.max_seconds = None, max_seconds

    def start(self, path: Path) -> None:
        media_recorder = autoclass("android.media.MediaRecorder")
        rec = media_recorder(context()) if sdk() >= 31 else media_recorder()  # the context form from API 31
        try:
            rec.setAudioSource(MIC)
            rec.setOutputFormat(MPEG_4)
            rec.setAudioEncoder(AAC)
            rec.setAudioChannels(1)
            rec.setAudioSamplingRate(16000)
            rec.setAudioEncodingBitRate(32000)
            rec.setMaxDuration(self.max_seconds * 1000)
            rec.setOutputFile(str(path))
            rec.prepare()
            rec.start()
        except JavaException:
            rec.release()  # the microphone is busy (a call) or refused: nothing is held
            raise
        self._rec = rec

    def stop(self) -> bool:
        rec, self._rec = self._rec, None
        if rec is None:
            return False
        try:
            rec.stop()  # throws RuntimeException when no sound was received yet (stopped at once)
            return True
        except JavaException:
            return False
        finally:
            rec.release()
