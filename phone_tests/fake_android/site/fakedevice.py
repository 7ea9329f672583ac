"""The fake Android device behind the fake ``jnius``: the Java classes the app uses, doing what Android and
python-for-android document, and nothing more.

- The process's role (``FAKE_ANDROID_ROLE``): in the app ("activity") ``PythonActivity.mActivity`` is the
  activity; in a p4a service ("service") it is null and ``PythonService.mService`` is the service.
- ``$FAKE_ANDROID_DIR/device.json`` describes the phone: ``sdk``, ``gpx`` (replayed by LocationManager's
  "gps" provider at one fix a second of the phone's clock, which p4a.py may run fast), ``mock``
  ([[from, to, true], ...]: the seconds a mock-location app made), ``satellites`` ([[from, to, used], ...]
  seconds from the file's start; fewer than 4 used means no fix is delivered), ``window`` ([from, to]: the
  seconds of the file to replay), ``clock_moves`` ([[second, second + 1, by_s], ...]: the user sets the wall
  clock by ``by_s`` at that second; GNSS time and the time since boot go on), ``network`` (true/false, read at
  each question, so a test can take the network away and give it back).
  ``granted.json`` beside it holds the runtime permissions the user granted (shared by both processes).
- What the app asked of the system is appended to ``log.jsonl`` (one JSON object a line), for the tests.
- Android's rules that the app must meet are enforced as Android does: location updates need
  ACCESS_FINE_LOCATION (SecurityException); on Android 14 a location foreground service needs a location
  permission (SecurityException); from Android 12 a PendingIntent needs FLAG_IMMUTABLE or FLAG_MUTABLE.
"""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from shared_models.track.gpx import read_gpx

JavaException = Exception  # replaced by jnius with its own class


def device_dir() -> Path:
    """Read at each use: a test may move the device (the app's process is the test's own)."""
    return Path(os.environ["FAKE_ANDROID_DIR"])


def config() -> dict:
    return json.loads((device_dir() / "device.json").read_text())


def role() -> str:
    return os.environ.get("FAKE_ANDROID_ROLE", "activity")

FINE = "android.permission.ACCESS_FINE_LOCATION"
COARSE = "android.permission.ACCESS_COARSE_LOCATION"
_log_lock = threading.Lock()


class PhoneClock:
    """The phone's wall clock (``time.time`` in the device's processes, set by p4a.py): from
    ``FAKE_ANDROID_CLOCK_START``, running ``FAKE_ANDROID_CLOCK_SPEED`` times as fast as real time, except while
    the GPS replays, when it moves exactly a second with each second replayed (so the fixes, the lost and
    regained signal and every time the app reads agree, however busy the machine is)."""

    def __init__(self) -> None:
        self.real = time.time
        self.speed = float(os.environ.get("FAKE_ANDROID_CLOCK_SPEED", "1"))
        self.start = float(os.environ.get("FAKE_ANDROID_CLOCK_START", "0")) or self.real()
        self.elapsed = 0.0
        self.moved = 0.0  # the user set the clock by this much (the wall clock only: not GNSS, not boot time)
        self.free_since: float | None = time.monotonic()
        self.lock = threading.Lock()

    def true_now(self) -> float:
        with self.lock:
            free = 0.0 if self.free_since is None else (time.monotonic() - self.free_since) * self.speed
            return self.start + self.elapsed + free

    def now(self) -> float:
        return self.true_now() + self.moved

    def since_boot(self) -> float:
        return self.true_now() - self.start + 3600.0  # booted an hour before the clock's start

    def move(self, seconds: float) -> None:
        self.moved += seconds

    def hold(self) -> None:
        now = self.true_now()
        with self.lock:
            self.elapsed, self.free_since = now - self.start, None

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.elapsed += seconds

    def run_free(self) -> None:
        now = self.true_now()
        with self.lock:
            self.elapsed, self.free_since = now - self.start, time.monotonic()


CLOCK = PhoneClock()


def log(call: str, **detail) -> None:
    line = json.dumps({"pid": os.getpid(), "role": role(), "call": call, **detail}, ensure_ascii=False)
    with _log_lock, open(device_dir() / "log.jsonl", "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def granted() -> set[str]:
    path = device_dir() / "granted.json"
    return set(json.loads(path.read_text())) if path.exists() else set()


def _throw(kind: str, message: str):
    raise JavaException(kind, message)


class _Version(type):
    @property
    def SDK_INT(cls) -> int:  # noqa: N802
        return int(config().get("sdk", 34))


class VERSION(metaclass=_Version):
    pass


class Looper:
    @staticmethod
    def getMainLooper():  # noqa: N802
        return Looper()


class Handler:
    def __init__(self, looper) -> None:
        self.looper = looper


class Location:
    def __init__(self, lon, lat, accuracy, t_ms, elapsed_ns, mock) -> None:
        self._v = (lon, lat, accuracy, t_ms, elapsed_ns, mock)

    def getLongitude(self): return self._v[0]  # noqa: E704, N802
    def getLatitude(self): return self._v[1]  # noqa: E704, N802
    def hasAccuracy(self): return self._v[2] is not None  # noqa: E704, N802
    def getAccuracy(self): return self._v[2] or 0.0  # noqa: E704, N802
    def hasAltitude(self): return False  # noqa: E704, N802
    def hasSpeed(self): return False  # noqa: E704, N802
    def hasBearing(self): return False  # noqa: E704, N802
    def getTime(self): return self._v[3]  # noqa: E704, N802
    def getElapsedRealtimeNanos(self): return self._v[4]  # noqa: E704, N802

    def isFromMockProvider(self):  # noqa: N802  (deprecated in 31, still answers)
        return self._v[5]

    def isMock(self):  # noqa: N802
        if VERSION.SDK_INT < 31:
            _throw("java.lang.NoSuchMethodError", "isMock needs API 31")
        return self._v[5]


class GnssStatus:
    def __init__(self, used: int, visible: int) -> None:
        self.used, self.visible = used, visible

    def getSatelliteCount(self): return self.visible  # noqa: E704, N802
    def usedInFix(self, i): return i < self.used  # noqa: E704, N802


class GnssWatch:
    """mobile/android/java/cn/riverpatrol/GnssWatch.java, as the JVM would run it."""

    def __init__(self, listener) -> None:
        self.listener = listener

    def onSatelliteStatusChanged(self, status) -> None:  # noqa: N802
        used = sum(1 for i in range(status.getSatelliteCount()) if status.usedInFix(i))
        self.listener.onSatellites(used, status.getSatelliteCount())

    def onStopped(self) -> None:  # noqa: N802
        self.listener.onStopped()


def _window(name: str, second: int, default):
    for start, end, value in config().get(name, []):
        if start <= second < end:
            return value
    return default


def _starts(name: str, second: int) -> bool:
    return any(start == second for start, _end, _value in config().get(name, []))


def _one_hertz(track) -> tuple:
    """The GPX as a receiver asked for a fix a second delivers it: positions between the file's points, none
    across a gap of more than a minute (the logger had no fix there either)."""
    import numpy as np

    t = track.t - track.t[0]
    seconds = np.arange(0, int(t[-1]) + 1)
    lon, lat = np.interp(seconds, t, track.lon), np.interp(seconds, t, track.lat)
    acc = np.interp(seconds, t, np.nan_to_num(track.accuracy, nan=8.0))
    after = np.searchsorted(t, seconds, side="left").clip(1, len(t) - 1)
    covered = (t[after] - t[after - 1] <= 60) | (seconds == t[after])
    return seconds, lon, lat, acc, covered


class LocationManager:
    def __init__(self) -> None:
        self._stop = threading.Event()
        self._gnss = []

    def requestLocationUpdates(self, provider, min_time, min_distance, listener, looper):  # noqa: N802
        if FINE not in granted():
            _throw("java.lang.SecurityException", '"gps" location provider requires ACCESS_FINE_LOCATION')
        log("requestLocationUpdates", provider=provider, looper=looper is not None)
        threading.Thread(target=self._replay, args=(listener,), daemon=True).start()

    def removeUpdates(self, listener):  # noqa: N802
        log("removeUpdates")
        self._stop.set()

    def registerGnssStatusCallback(self, callback, handler):  # noqa: N802
        log("registerGnssStatusCallback", handler=handler is not None)
        self._gnss.append(callback)

    def unregisterGnssStatusCallback(self, callback):  # noqa: N802
        self._gnss.remove(callback)

    def _replay(self, listener) -> None:
        device = config()
        seconds, lon, lat, acc, covered = _one_hertz(read_gpx(Path(device["gpx"]).read_bytes()))
        first, last = device.get("window", [0, len(seconds)])
        seconds, covered = seconds[first:last], covered[first:last]
        speed = float(os.environ.get("FAKE_ANDROID_CLOCK_SPEED", "1"))
        origin = time.monotonic()
        delivered = 0
        CLOCK.hold()
        for n, k in enumerate(seconds):
            if self._stop.is_set():
                CLOCK.run_free()
                return
            time.sleep(max(0.0, origin + (n + 1) / speed - time.monotonic()))  # let the app work meanwhile
            CLOCK.advance(1.0)
            CLOCK.move(_window("clock_moves", int(k), 0.0) if _starts("clock_moves", int(k)) else 0.0)
            used = _window("satellites", int(k), 9 if covered[n] else 0)
            for callback in list(self._gnss):
                callback.onSatelliteStatusChanged(GnssStatus(used, max(used, 12)))
            if used < 4:
                continue  # no fix without four satellites
            delivered += 1
            listener.onLocationChanged(Location(float(lon[k]), float(lat[k]), float(acc[k]),
                                                int(CLOCK.true_now() * 1000),  # GNSS time: the satellites'
                                                int(CLOCK.since_boot() * 1e9), bool(_window("mock", int(k), False))))
        CLOCK.run_free()
        log("replay_finished", seconds=len(seconds), covered=int(covered.sum()), delivered=delivered)


class NotificationChannel:
    def __init__(self, channel_id, name, importance) -> None:
        self.id, self.name, self.importance, self.description = channel_id, name, importance, None

    def setDescription(self, text):  # noqa: N802
        self.description = text


class NotificationManager:
    def createNotificationChannel(self, channel):  # noqa: N802
        log("createNotificationChannel", id=channel.id, name=channel.name, importance=channel.importance,
            description=channel.description)

    def notify(self, notification_id, notification):
        # Android 13+ posts nothing without POST_NOTIFICATIONS, and says nothing about it
        log("notify", id=notification_id, notification=notification)


class NotificationBuilder:
    def __init__(self, ctx, channel_id=None) -> None:
        if VERSION.SDK_INT >= 26 and channel_id is None:
            _throw("java.lang.IllegalArgumentException", "a notification on Android 8+ needs a channel")
        self.fields = {"channel": channel_id}

    def __getattr__(self, name):
        if not name.startswith("set"):
            raise AttributeError(name)
        return lambda value: self.fields.__setitem__(name[3:].lower(), value)

    def build(self):
        return dict(self.fields)


class PendingIntent:
    FLAG_IMMUTABLE = 0x04000000
    FLAG_MUTABLE = 0x02000000

    @staticmethod
    def getActivity(ctx, code, intent, flags):  # noqa: N802
        if VERSION.SDK_INT >= 31 and not flags & (PendingIntent.FLAG_IMMUTABLE | PendingIntent.FLAG_MUTABLE):
            _throw("java.lang.IllegalArgumentException", "Targeting S+ requires FLAG_IMMUTABLE or FLAG_MUTABLE")
        return {"intent": intent}


class _Capabilities:
    def hasCapability(self, capability):  # noqa: N802
        return capability == 12 or (capability == 11 and config().get("wifi", True))  # internet; not metered


class ConnectivityManager:
    def getActiveNetwork(self):  # noqa: N802
        return "network" if config().get("network", True) else None

    def getNetworkCapabilities(self, network):  # noqa: N802
        return _Capabilities() if network else None


class _AppInfo:
    icon = 17


class _PackageManager:
    def getLaunchIntentForPackage(self, name):  # noqa: N802
        return {"launch": name}


class _File:
    def __init__(self, path) -> None:
        self.path = path

    def getAbsolutePath(self):  # noqa: N802
        return self.path


class Context:
    _services = {"location": "LocationManager", "notification": "NotificationManager",
                 "connectivity": "ConnectivityManager", "power": "PowerManager"}

    def __init__(self) -> None:
        self._made = {}

    def getSystemService(self, name):  # noqa: N802
        if name not in self._made:
            self._made[name] = globals()[self._services[name]]()
        return self._made[name]

    def getPackageManager(self): return _PackageManager()  # noqa: E704, N802
    def getPackageName(self): return "cn.riverpatrol.riverpatrol"  # noqa: E704, N802
    def getApplicationInfo(self): return _AppInfo()  # noqa: E704, N802
    def getFilesDir(self): return _File(os.environ["ANDROID_PRIVATE"])  # noqa: E704, N802


class Activity(Context):
    def getContentResolver(self):  # noqa: N802
        import fakemedia

        return fakemedia.ContentResolver()

    def startActivityForResult(self, intent, request_code):  # noqa: N802
        import fakemedia

        fakemedia.start_activity_for_result(intent, request_code)
    def startActivity(self, intent):  # noqa: N802
        if intent.component and intent.component not in config().get("activities", []):
            _throw("android.content.ActivityNotFoundException", f"Unable to find explicit activity {intent.component}")
        log("startActivity", action=intent.action, data=intent.data, flags=intent.flags, component=intent.component)


class Uri:
    @staticmethod
    def fromParts(scheme, part, fragment):  # noqa: N802
        return f"{scheme}:{part}"

    @staticmethod
    def parse(text):
        return text


class Settings:
    ACTION_APPLICATION_DETAILS_SETTINGS = "android.settings.APPLICATION_DETAILS_SETTINGS"
    ACTION_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS = "android.settings.REQUEST_IGNORE_BATTERY_OPTIMIZATIONS"


class Intent:
    FLAG_ACTIVITY_NEW_TASK = 0x10000000

    def __init__(self, action=None, data=None) -> None:
        self.action, self.data, self.flags, self.component, self.extras = action, data, 0, None, {}

    def putExtra(self, key, value):  # noqa: N802
        self.extras[key] = value

    def addFlags(self, flags):  # noqa: N802
        self.flags |= flags

    def setComponent(self, component):  # noqa: N802
        self.component = component



class ComponentName(str):
    def __new__(cls, package, activity):
        return super().__new__(cls, f"{package}/{activity}")


class _BuildMeta(type):
    @property
    def MANUFACTURER(cls):  # noqa: N802
        return config().get("maker", "Google")


class BuildInfo(metaclass=_BuildMeta):
    pass


class PowerManager:
    def isIgnoringBatteryOptimizations(self, package):  # noqa: N802
        return package in config().get("battery_exempt", [])


class Service(Context):
    def startForeground(self, notification_id, notification, service_type=None):  # noqa: N802
        if VERSION.SDK_INT >= 34 and not granted() & {FINE, COARSE}:
            _throw("java.lang.SecurityException", "Starting FGS with type location requires permissions")
        log("startForeground", id=notification_id, type=service_type, notification=notification,
            visible=VERSION.SDK_INT < 33 or "android.permission.POST_NOTIFICATIONS" in granted())


_ACTIVITY, _SERVICE = Activity(), Service()


class _ActivityMeta(type):
    @property
    def mActivity(cls):  # noqa: N802
        return _ACTIVITY if role() == "activity" else None


class _ServiceMeta(type):
    @property
    def mService(cls):  # noqa: N802
        return _SERVICE if role() == "service" else None


class PythonActivity(metaclass=_ActivityMeta):
    pass


class PythonService(metaclass=_ServiceMeta):
    pass


class ServiceRecorder:
    """The class p4a generates for ``services = Recorder:...``: start() runs the service in its own process."""

    @staticmethod
    def start(ctx, argument):
        log("ServiceRecorder.start", argument=argument)
        from p4a import start_service  # the harness's launcher, beside this module

        start_service(Path(os.environ["ANDROID_PRIVATE"]), argument, device_dir())


CLASSES = {
    "android.os.Build$VERSION": VERSION, "android.os.Looper": Looper, "android.os.Handler": Handler,
    "cn.riverpatrol.GnssWatch": GnssWatch, "android.app.NotificationChannel": NotificationChannel,
    "android.app.Notification$Builder": NotificationBuilder, "android.app.PendingIntent": PendingIntent,
    "org.kivy.android.PythonActivity": PythonActivity, "org.kivy.android.PythonService": PythonService,
    "cn.riverpatrol.riverpatrol.ServiceRecorder": ServiceRecorder, "android.content.Intent": Intent,
    "android.net.Uri": Uri, "android.provider.Settings": Settings, "android.content.ComponentName": ComponentName,
    "android.os.Build": BuildInfo,
}


def _media() -> None:
    import fakemedia

    CLASSES.update({"android.content.ContentValues": fakemedia.ContentValues,
                    "android.provider.MediaStore": fakemedia.MediaStore,
                    "android.provider.MediaStore$Images$Media": fakemedia.Media,
                    "android.media.MediaRecorder": fakemedia.MediaRecorder})


_media()


def _work() -> None:
    import fakework

    CLASSES.update(fakework.CLASSES)


_work()
