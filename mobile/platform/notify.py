"""A notification the inspector sees outside the app (a new task, a decision on a patrol, a window about to
close): Android's NotificationManager on a phone (android.py); on the desktop a line on stdout, which the window
tests read."""
from __future__ import annotations

import itertools

_ids = itertools.count(100)  # the recording service's own notification is 1


def notify(title: str, text: str) -> None:
    from . import on_android

    if on_android():
        from .android import post_message

        post_message(next(_ids), title, text)
        return
    print(f"notification: {title}：{text}", flush=True)
