"""The fake device's WorkManager (androidx.work), as far as the app uses it (fakedevice registers the classes).

Unique work by name is kept in ``$FAKE_ANDROID_DIR/work.json`` ({name: {"worker", "delay_ms", "data", "tags",
"enqueued_at"}}), shared by the device's processes as WorkManager's database is; REPLACE replaces, cancelling
removes. ``Class.forName`` finds only the Java the APK adds (mobile/android/java), as a phone's class loader would;
a worker must extend androidx.work.Worker there. What a worker does when it runs is checked in Java
(phone_tests/test_android_java.py); ``due(at)`` says which would have run by the phone time ``at``.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import fakedevice

JAVA = Path(__file__).resolve().parents[3] / "mobile" / "android" / "java"


def _path() -> Path:
    return fakedevice.device_dir() / "work.json"


def _load() -> dict:
    return json.loads(_path().read_text()) if _path().exists() else {}


def due(at: float) -> list[dict]:
    return [{"name": k, **v} for k, v in _load().items() if v["enqueued_at"] + v["delay_ms"] / 1000 <= at]


class JavaClass:
    @staticmethod
    def forName(name: str):  # noqa: N802
        source = JAVA / (name.replace(".", "/") + ".java")
        if not source.exists():
            fakedevice._throw("java.lang.ClassNotFoundException", name)
        if not re.search(r"\bextends Worker\b", source.read_text(encoding="utf-8")):
            fakedevice._throw("java.lang.IllegalArgumentException", f"{name} is not a Worker")
        return name


class TimeUnit:
    MILLISECONDS = "MILLISECONDS"


class ExistingWorkPolicy:
    REPLACE, KEEP, APPEND = "REPLACE", "KEEP", "APPEND"


class Data:
    def __init__(self, values: dict) -> None:
        self.values = values


class DataBuilder:
    def __init__(self) -> None:
        self.values: dict = {}

    def putString(self, key, value):  # noqa: N802
        self.values[key] = str(value)
        return self

    def putInt(self, key, value):  # noqa: N802
        if not isinstance(value, int) or not -2**31 <= value < 2**31:
            fakedevice._throw("java.lang.IllegalArgumentException", f"not a Java int: {value!r}")
        self.values[key] = value
        return self

    def build(self):
        return Data(dict(self.values))


class OneTimeWorkRequestBuilder:
    def __init__(self, worker) -> None:
        self.request = {"worker": worker, "delay_ms": 0, "data": {}, "tags": []}

    def setInitialDelay(self, duration, unit):  # noqa: N802
        if unit != TimeUnit.MILLISECONDS or duration < 0:
            fakedevice._throw("java.lang.IllegalArgumentException", "a delay in milliseconds, not negative")
        self.request["delay_ms"] = int(duration)
        return self

    def setInputData(self, data):  # noqa: N802
        self.request["data"] = data.values
        return self

    def addTag(self, tag):  # noqa: N802
        self.request["tags"].append(tag)
        return self

    def build(self):
        return dict(self.request)


class WorkManager:
    @staticmethod
    def getInstance(ctx):  # noqa: N802
        if ctx is None:
            fakedevice._throw("java.lang.NullPointerException", "WorkManager.getInstance(null)")
        return WorkManager()

    def enqueueUniqueWork(self, name, policy, request):  # noqa: N802
        work = _load()
        if policy == ExistingWorkPolicy.KEEP and name in work:
            return
        work[name] = {**request, "enqueued_at": fakedevice.CLOCK.now()}
        _path().write_text(json.dumps(work, ensure_ascii=False))
        fakedevice.log("work.enqueue", name=name, policy=policy, delay_ms=request["delay_ms"], data=request["data"])

    def cancelUniqueWork(self, name):  # noqa: N802
        work = _load()
        work.pop(name, None)
        _path().write_text(json.dumps(work, ensure_ascii=False))
        fakedevice.log("work.cancel", name=name)


CLASSES = {"java.lang.Class": JavaClass, "java.util.concurrent.TimeUnit": TimeUnit,
           "androidx.work.ExistingWorkPolicy": ExistingWorkPolicy, "androidx.work.Data$Builder": DataBuilder,
           "androidx.work.OneTimeWorkRequest$Builder": OneTimeWorkRequestBuilder,
           "androidx.work.WorkManager": WorkManager}
