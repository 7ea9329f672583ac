"""The fake device's MediaStore, camera app and MediaRecorder (fakedevice registers them).

``device.json`` ``voice_sample``: the recording MediaRecorder writes at ``stop()`` (a real AAC file); ``voice``:
"record" (default) or "silent" (stop() finds no sound, as when stopped at once, and throws).

``device.json`` ``camera``: "take" (the camera app writes ``camera_photo``, a JPEG file, into the URI it was
given and answers RESULT_OK), "cancel" (the inspector comes back without a photo: RESULT_CANCELED), or
"nothing" (it answers OK but writes nothing, as some do). Android 7+ kills an app that hands another app a
``file://`` URI: FileUriExposedException.
"""
from __future__ import annotations

import itertools
import os
from pathlib import Path

import fakedevice

RESULT_OK, RESULT_CANCELED = -1, 0
_ids = itertools.count(1)


def _media_dir() -> Path:
    folder = fakedevice.device_dir() / "media"
    folder.mkdir(exist_ok=True)
    return folder


class ContentValues(dict):
    def put(self, key, value):
        self[key] = value


class Media:
    EXTERNAL_CONTENT_URI = "content://media/external/images/media"


class MediaStore:
    ACTION_IMAGE_CAPTURE = "android.media.action.IMAGE_CAPTURE"
    EXTRA_OUTPUT = "output"


class _Descriptor:
    def __init__(self, path: Path) -> None:
        self.path = path

    def detachFd(self):  # noqa: N802
        return os.open(self.path, os.O_RDONLY)


class ContentResolver:
    def insert(self, table, values):
        uri = f"{table}/{next(_ids)}"
        (_media_dir() / uri.rsplit("/", 1)[1]).write_bytes(b"")
        fakedevice.log("media.insert", uri=uri, values=dict(values))
        return uri

    def openFileDescriptor(self, uri, mode):  # noqa: N802
        path = _media_dir() / uri.rsplit("/", 1)[1]
        return _Descriptor(path) if path.exists() else None

    def delete(self, uri, where, args):
        (_media_dir() / uri.rsplit("/", 1)[1]).unlink(missing_ok=True)
        fakedevice.log("media.delete", uri=uri)
        return 1


def start_activity_for_result(intent, request_code) -> None:
    """The camera app, then p4a's on_activity_result in the app."""
    output = intent.extras.get(MediaStore.EXTRA_OUTPUT)
    if fakedevice.VERSION.SDK_INT >= 24 and str(output).startswith("file://"):
        fakedevice._throw("android.os.FileUriExposedException", f"{output} exposed beyond app through ClipData")
    fakedevice.log("startActivityForResult", action=intent.action, output=output, flags=intent.flags)
    mode = fakedevice.config().get("camera", "take")
    code = RESULT_CANCELED if mode == "cancel" else RESULT_OK
    if mode == "take":
        data = Path(fakedevice.config()["camera_photo"]).read_bytes()
        (_media_dir() / str(output).rsplit("/", 1)[1]).write_bytes(data)
    from android import activity

    activity.deliver(request_code, code, None)


class MediaRecorder:
    """android.media.MediaRecorder's documented state machine: setAudioSource (needs RECORD_AUDIO, else "setAudioSource
    failed"), then setOutputFormat, then the encoder and the file, prepare, start, stop (throws RuntimeException when
    no valid audio was received), release; a call out of order is an IllegalStateException."""

    def __init__(self, ctx=None) -> None:
        if fakedevice.VERSION.SDK_INT >= 31 and ctx is None:
            fakedevice.log("MediaRecorder.deprecated_constructor")
        self.state, self.settings = "initial", {}

    def _step(self, allowed: tuple[str, ...], to: str | None, name: str) -> None:
        if self.state not in allowed:
            fakedevice._throw("java.lang.IllegalStateException", f"{name} called in state {self.state}")
        if to:
            self.state = to

    def setAudioSource(self, source):  # noqa: N802
        if "android.permission.RECORD_AUDIO" not in fakedevice.granted():
            fakedevice._throw("java.lang.RuntimeException", "setAudioSource failed.")
        self._step(("initial",), "initialized", "setAudioSource")
        self.settings["source"] = source

    def setOutputFormat(self, fmt):  # noqa: N802
        self._step(("initialized",), "configured", "setOutputFormat")
        self.settings["format"] = fmt

    def _set(self, key, value):
        self._step(("configured",), None, key)
        self.settings[key] = value

    def setAudioEncoder(self, enc): self._set("encoder", enc)  # noqa: E704, N802
    def setAudioChannels(self, n): self._set("channels", n)  # noqa: E704, N802
    def setAudioSamplingRate(self, hz): self._set("rate", hz)  # noqa: E704, N802
    def setAudioEncodingBitRate(self, bps): self._set("bitrate", bps)  # noqa: E704, N802
    def setMaxDuration(self, ms): self._set("max_ms", ms)  # noqa: E704, N802
    def setOutputFile(self, path): self._set("file", path)  # noqa: E704, N802

    def prepare(self):
        if "file" not in self.settings or "encoder" not in self.settings:
            fakedevice._throw("java.lang.IllegalStateException", "prepare: no output file or encoder")
        self._step(("configured",), "prepared", "prepare")
        Path(self.settings["file"]).write_bytes(b"")  # the file exists from here on, empty

    def start(self):
        self._step(("prepared",), "recording", "start")
        fakedevice.log("MediaRecorder.start", **self.settings)

    def stop(self):
        self._step(("recording",), "initial", "stop")
        if fakedevice.config().get("voice", "record") == "silent":
            fakedevice._throw("java.lang.RuntimeException", "stop failed.")
        Path(self.settings["file"]).write_bytes(Path(fakedevice.config()["voice_sample"]).read_bytes())
        fakedevice.log("MediaRecorder.stop")

    def release(self):
        self.state = "released"
        fakedevice.log("MediaRecorder.release")
