"""The phone's camera app, given a content URI, never a ``file://`` one (Android 7+ kills an app that passes a
file URI to another app: FileUriExposedException; plyer's camera does).

The photo is taken into a MediaStore entry the app owns (no FileProvider needed: python-for-android has none),
then copied into the app's private photos folder and the entry deleted, so nothing stays in the gallery.
From Android 10 inserting its own picture needs no permission; before, WRITE_EXTERNAL_STORAGE (manifest, up
to API 28). The result comes back through p4a's ``android.activity`` (on_activity_result).
"""
from __future__ import annotations

import os
import uuid as uuidlib
from collections.abc import Callable
from pathlib import Path

from jnius import autoclass, cast

from .android import context, sdk

REQUEST_CODE = 0x5250  # "RP"
RESULT_OK = -1  # android.app.Activity
FLAG_GRANT_READ_WRITE = 0x00000001 | 0x00000002  # Intent.FLAG_GRANT_READ_URI_PERMISSION | ..._WRITE_...


def take_picture(folder: Path, on_done: Callable[[str | None, str], None]) -> None:
    """Open the camera app; ``on_done(path, "camera")`` with the photo copied into ``folder``, or None if the
    inspector came back without one."""
    from android import activity as events  # p4a's: activity results

    ctx = context()
    resolver = ctx.getContentResolver()
    values = autoclass("android.content.ContentValues")()
    values.put("_display_name", f"riverpatrol-{uuidlib.uuid4().hex[:12]}.jpg")
    values.put("mime_type", "image/jpeg")
    if sdk() >= 29:
        values.put("relative_path", "Pictures/RiverPatrol")
    uri = resolver.insert(autoclass("android.provider.MediaStore$Images$Media").EXTERNAL_CONTENT_URI, values)
    media_store = autoclass("android.provider.MediaStore")
    intent = autoclass("android.content.Intent")(media_store.ACTION_IMAGE_CAPTURE)
    intent.putExtra(media_store.EXTRA_OUTPUT, cast("android.os.Parcelable", uri))
    intent.addFlags(FLAG_GRANT_READ_WRITE)

    def result(request_code, result_code, _data) -> None:
        if request_code != REQUEST_CODE:
            return
        events.unbind(on_activity_result=result)
        path = _copy(resolver, uri, folder) if result_code == RESULT_OK else None
        resolver.delete(uri, None, None)
        on_done(path, "camera")

    events.bind(on_activity_result=result)
    ctx.startActivityForResult(intent, REQUEST_CODE)


def _copy(resolver, uri, folder: Path) -> str | None:
    """The picture's bytes through a file descriptor (Python reads it directly; no Java byte arrays)."""
    descriptor = resolver.openFileDescriptor(uri, "r")
    if descriptor is None:
        return None
    with os.fdopen(descriptor.detachFd(), "rb") as fh:
        data = fh.read()
    if not data:  # the camera app said OK but wrote nothing
        return None
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"camera-{uuidlib.uuid4().hex}.jpg"
    target.write_bytes(data)
    return str(target)
