"""The fake device's MediaStore and camera app (fakedevice registers them).

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
