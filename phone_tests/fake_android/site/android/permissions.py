"""p4a's ``android.permissions`` on the fake device: ``request_permissions(permissions, callback)`` answers
through ``callback(permissions, grant_results)`` as the system dialog would, with the user's answers from
``$FAKE_ANDROID_DIR/answers.json`` ({permission: true/false}; a permission not named is refused), and keeps
what was granted in ``granted.json`` for both processes; ``check_permission`` reads it."""
from __future__ import annotations

import json

import fakedevice


class Permission:
    ACCESS_FINE_LOCATION = "android.permission.ACCESS_FINE_LOCATION"
    ACCESS_COARSE_LOCATION = "android.permission.ACCESS_COARSE_LOCATION"
    ACCESS_BACKGROUND_LOCATION = "android.permission.ACCESS_BACKGROUND_LOCATION"
    CAMERA = "android.permission.CAMERA"
    POST_NOTIFICATIONS = "android.permission.POST_NOTIFICATIONS"
    RECORD_AUDIO = "android.permission.RECORD_AUDIO"


def check_permission(permission: str) -> bool:
    return permission in fakedevice.granted()


def request_permissions(permissions: list[str], callback=None) -> None:
    path = fakedevice.device_dir() / "answers.json"
    answers = json.loads(path.read_text()) if path.exists() else {}
    results = [bool(answers.get(p, False)) for p in permissions]
    now = fakedevice.granted() | {p for p, ok in zip(permissions, results, strict=True) if ok}
    (fakedevice.device_dir() / "granted.json").write_text(json.dumps(sorted(now)))
    # Android 11+ shows no dialog for background location: it opens the app's location settings page
    page = "settings" if "android.permission.ACCESS_BACKGROUND_LOCATION" in permissions \
        and fakedevice.VERSION.SDK_INT >= 30 else "dialog"
    fakedevice.log("request_permissions", permissions=list(permissions), results=results, page=page)
    if callback:
        callback(list(permissions), results)


def request_permission(permission: str, callback=None) -> None:
    request_permissions([permission], callback)
