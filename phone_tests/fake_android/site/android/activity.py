"""p4a's ``android.activity`` on the fake device: ``bind(on_activity_result=...)`` / ``unbind``; the fake camera
app delivers its result through ``deliver`` (on Android, PythonActivity's onActivityResult)."""
from __future__ import annotations

_listeners: list = []


def bind(on_activity_result=None, **_others) -> None:
    if on_activity_result is not None:
        _listeners.append(on_activity_result)


def unbind(on_activity_result=None, **_others) -> None:
    if on_activity_result in _listeners:
        _listeners.remove(on_activity_result)


def deliver(request_code: int, result_code: int, intent) -> None:
    for listener in list(_listeners):
        listener(request_code, result_code, intent)
