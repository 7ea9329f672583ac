"""Reminders posted at their time with the app closed: Android's WorkManager runs cn.riverpatrol.ReminderWorker
(mobile/android/java) after the delay given here, even after the app was swiped away or the phone restarted. Each
reminder is unique work by name, so scheduling it again replaces it and cancelling takes it back.

On the desktop there is no scheduler: the app says reminders while it runs (app.remind).
"""
from __future__ import annotations

import zlib

from jnius import autoclass

from .android import context

WORKER = "cn.riverpatrol.ReminderWorker"
TAG = "riverpatrol-reminder"


def _manager():
    return autoclass("androidx.work.WorkManager").getInstance(context())


def schedule(name: str, delay_s: float, title: str, text: str) -> None:
    """Post ``title: text`` in ``delay_s`` seconds (0: now), replacing what was scheduled under ``name``."""
    data = (autoclass("androidx.work.Data$Builder")().putString("title", title).putString("text", text)
            .putInt("id", 200 + zlib.crc32(name.encode()) % 10_000).build())  # one notification per reminder
    worker = autoclass("java.lang.Class").forName(WORKER)
    request = (autoclass("androidx.work.OneTimeWorkRequest$Builder")(worker)
               .setInitialDelay(max(0, int(delay_s * 1000)), autoclass("java.util.concurrent.TimeUnit").MILLISECONDS)
               .setInputData(data).addTag(TAG).build())
    _manager().enqueueUniqueWork(name, autoclass("androidx.work.ExistingWorkPolicy").REPLACE, request)


def cancel(name: str) -> None:
    _manager().cancelUniqueWork(name)
