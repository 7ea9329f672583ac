"""Android through pyjnius: the context, the GPS, the recording service's notification, the network.

Only imported on a phone, or under the fake-Android harness (phone_tests/fake_android), which reproduces
python-for-android's documented behaviour: the recording service runs in its own process, where
``PythonActivity.mActivity`` is null and ``PythonService.mService`` is the service.

- The GPS is the platform's ``LocationManager`` ("gps" provider; no Google fused provider, so phones without
  Google services, e.g. Huawei's, work). Each fix keeps its own mock flag (``isMock()`` from API 31,
  ``isFromMockProvider()`` before), its GNSS time (``getTime()``) and its boot-relative time
  (``getElapsedRealtimeNanos()``) beside the wall clock.
- Satellites come from ``GnssStatus`` callbacks (the Java adapter ``cn.riverpatrol.GnssWatch`` in
  mobile/android/java, since pyjnius implements interfaces, not abstract classes); ``SignalWatch`` turns them
  into "GPS lost / regained".
"""
from __future__ import annotations

from jnius import JavaException, PythonJavaClass, autoclass, cast, java_method

from shared_models.clock import timestamp

from .signal_watch import SignalWatch

ACTIVITY = "org.kivy.android.PythonActivity"
SERVICE = "org.kivy.android.PythonService"
RECORDER_SERVICE = "cn.riverpatrol.riverpatrol.ServiceRecorder"  # buildozer.spec: services = Recorder:...
CHANNEL_ID = "riverpatrol.recording"
NOTIFICATION_ID = 1  # p4a's id for the first service: our notification replaces p4a's silent one
FOREGROUND_SERVICE_TYPE_LOCATION = 8  # android.content.pm.ServiceInfo (API 29)
IMPORTANCE_LOW = 2  # android.app.NotificationManager: shown, no sound
IMPORTANCE_DEFAULT = 3  # with sound
FLAG_IMMUTABLE = 0x04000000  # android.app.PendingIntent
NET_CAPABILITY_INTERNET = 12  # android.net.NetworkCapabilities


def sdk() -> int:
    return int(autoclass("android.os.Build$VERSION").SDK_INT)


def context():
    """The activity in the app's process; the service in the recording service's process."""
    activity = autoclass(ACTIVITY).mActivity
    if activity is not None:
        return activity
    service = autoclass(SERVICE).mService
    if service is None:
        raise RuntimeError("neither an activity nor a service: not started by python-for-android")
    return service


def fix_of(location) -> dict:
    """One fix from an ``android.location.Location``: position, what the receiver measured, its own times and
    mock flag; ``t`` is the wall clock when it arrived (the one clock of the app)."""
    mock = bool(location.isMock()) if sdk() >= 31 else bool(location.isFromMockProvider())
    return {"t": timestamp(), "lon": float(location.getLongitude()),
            "lat": float(location.getLatitude()),
            "accuracy": float(location.getAccuracy()) if location.hasAccuracy() else None,
            "altitude": float(location.getAltitude()) if location.hasAltitude() else None,
            "speed": float(location.getSpeed()) if location.hasSpeed() else None,
            "bearing": float(location.getBearing()) if location.hasBearing() else None,
            "gnss_t": location.getTime() / 1000.0, "elapsed_s": location.getElapsedRealtimeNanos() / 1e9,
            "mock": mock}


class _LocationListener(PythonJavaClass):
    __javainterfaces__ = ["android/location/LocationListener"]
    __javacontext__ = "app"

    def __init__(self, gps: AndroidGps) -> None:
        super().__init__()
        self.gps = gps

    @java_method("(Landroid/location/Location;)V")
    def onLocationChanged(self, location) -> None:  # noqa: N802  (Java's names)
        self.gps._location(location)

    @java_method("(Ljava/lang/String;)V")
    def onProviderDisabled(self, provider) -> None:  # noqa: N802
        self.gps.watch.provider(False)

    @java_method("(Ljava/lang/String;)V")
    def onProviderEnabled(self, provider) -> None:  # noqa: N802
        self.gps.watch.provider(True)

    @java_method("(Ljava/lang/String;ILandroid/os/Bundle;)V")
    def onStatusChanged(self, provider, status, extras) -> None:  # noqa: N802  (before API 29 only)
        pass


class _GnssListener(PythonJavaClass):
    __javainterfaces__ = ["cn/riverpatrol/GnssWatch$Listener"]
    __javacontext__ = "app"

    def __init__(self, gps: AndroidGps) -> None:
        super().__init__()
        self.gps = gps

    @java_method("(II)V")
    def onSatellites(self, used, visible) -> None:  # noqa: N802
        self.gps.watch.satellites(int(used))

    @java_method("()V")
    def onStopped(self) -> None:  # noqa: N802
        self.gps.watch.provider(False)


class AndroidGps:
    """The phone's receiver: fixes to ``on_fix``; "gps_lost" / "gps_regained" to ``on_status``."""

    def __init__(self, on_fix, on_status, ctx=None) -> None:
        self.on_fix = on_fix
        self.ctx = ctx or context()
        self.watch = SignalWatch(on_status)
        self.manager = cast("android.location.LocationManager", self.ctx.getSystemService("location"))
        self._listener = _LocationListener(self)
        self._gnss = None

    def start(self) -> None:
        looper = autoclass("android.os.Looper").getMainLooper()  # the service's Python thread has none
        self.manager.requestLocationUpdates("gps", 1000, 0.0, self._listener, looper)
        self._gnss = autoclass("cn.riverpatrol.GnssWatch")(_GnssListener(self))
        self.manager.registerGnssStatusCallback(self._gnss, autoclass("android.os.Handler")(looper))

    def stop(self) -> None:
        self.manager.removeUpdates(self._listener)
        if self._gnss is not None:
            self.manager.unregisterGnssStatusCallback(self._gnss)
            self._gnss = None

    def tick(self) -> None:
        """Called every few seconds: a receiver that has gone quiet is lost too."""
        self.watch.tick()

    def _location(self, location) -> None:
        fix = fix_of(location)
        self.watch.fix(fix["t"])
        self.on_fix(fix)


def start_recording_service(argument: str = "app") -> None:
    """Start the recording service (its own process). A non-empty argument tells it the app started it: when
    Android restarts a sticky service, p4a passes an empty one."""
    autoclass(RECORDER_SERVICE).start(context(), argument)


def go_foreground(service, text: str) -> None:
    """The service's notification on our own channel ("巡河记录", shown without sound), opening the app when
    tapped, posted with the location type (Android 10+; required by Android 14)."""
    builder_cls = autoclass("android.app.Notification$Builder")
    if sdk() >= 26:
        channel = autoclass("android.app.NotificationChannel")(CHANNEL_ID, "巡河记录", IMPORTANCE_LOW)
        channel.setDescription("记录巡河轨迹时显示，关掉屏幕也在记录")
        manager = cast("android.app.NotificationManager", service.getSystemService("notification"))
        manager.createNotificationChannel(channel)
        builder = builder_cls(service, CHANNEL_ID)
    else:
        builder = builder_cls(service)
    opener = service.getPackageManager().getLaunchIntentForPackage(service.getPackageName())
    builder.setContentTitle("河巡：正在记录巡河")
    builder.setContentText(text)
    builder.setSmallIcon(service.getApplicationInfo().icon)
    builder.setOngoing(True)
    builder.setContentIntent(autoclass("android.app.PendingIntent").getActivity(service, 0, opener, FLAG_IMMUTABLE))
    if sdk() >= 29:
        service.startForeground(NOTIFICATION_ID, builder.build(), FOREGROUND_SERVICE_TYPE_LOCATION)
    else:
        service.startForeground(NOTIFICATION_ID, builder.build())


MESSAGES_CHANNEL = "messages"


def post_message(notification_id: int, title: str, text: str) -> None:
    """A message on its own channel ("任务和审核结果", with sound): opens the app when tapped."""
    ctx = context()
    builder_cls = autoclass("android.app.Notification$Builder")
    manager = cast("android.app.NotificationManager", ctx.getSystemService("notification"))
    if sdk() >= 26:
        channel = autoclass("android.app.NotificationChannel")(MESSAGES_CHANNEL, "任务和审核结果", IMPORTANCE_DEFAULT)
        channel.setDescription("新的复核任务、网格长对巡河的决定、本周还需巡河的提醒")
        manager.createNotificationChannel(channel)
        builder = builder_cls(ctx, MESSAGES_CHANNEL)
    else:
        builder = builder_cls(ctx)
    opener = ctx.getPackageManager().getLaunchIntentForPackage(ctx.getPackageName())
    builder.setContentTitle(title)
    builder.setContentText(text)
    builder.setSmallIcon(ctx.getApplicationInfo().icon)
    builder.setAutoCancel(True)
    builder.setContentIntent(autoclass("android.app.PendingIntent").getActivity(ctx, notification_id, opener,
                                                                                FLAG_IMMUTABLE))
    manager.notify(notification_id, builder.build())


NET_CAPABILITY_NOT_METERED = 11


def unmetered() -> bool:
    manager = cast("android.net.ConnectivityManager", context().getSystemService("connectivity"))
    active = manager.getActiveNetwork()
    caps = manager.getNetworkCapabilities(active) if active is not None else None
    return bool(caps is not None and caps.hasCapability(NET_CAPABILITY_NOT_METERED))


def network_available() -> bool:
    manager = cast("android.net.ConnectivityManager", context().getSystemService("connectivity"))
    active = manager.getActiveNetwork()
    caps = manager.getNetworkCapabilities(active) if active is not None else None
    return bool(caps is not None and caps.hasCapability(NET_CAPABILITY_INTERNET))


class AndroidSystem:
    """What mobile/permissions.py asks of the platform, through p4a's ``android.permissions``."""

    def sdk(self) -> int:
        return sdk()

    def granted(self, permission: str) -> bool:
        from android.permissions import check_permission

        return bool(check_permission(permission))

    def request(self, permissions: list[str], callback) -> None:
        from android.permissions import request_permissions

        request_permissions(permissions, callback)

    def maker(self) -> str:
        return str(autoclass("android.os.Build").MANUFACTURER)

    def ignoring_battery_optimizations(self) -> bool:
        ctx = context()
        power = cast("android.os.PowerManager", ctx.getSystemService("power"))
        return bool(power.isIgnoringBatteryOptimizations(ctx.getPackageName()))

    def ask_ignore_battery_optimizations(self) -> None:
        """Android's own question (REQUEST_IGNORE_BATTERY_OPTIMIZATIONS in the manifest)."""
        ctx = context()
        uri = autoclass("android.net.Uri").parse(f"package:{ctx.getPackageName()}")
        action = autoclass("android.provider.Settings").ACTION_REQUEST_IGNORE_BATTERY_OPTIMIZATIONS
        self._start(autoclass("android.content.Intent")(action, uri))

    def open_component(self, package: str, activity: str) -> bool:
        intent = autoclass("android.content.Intent")()
        intent.setComponent(autoclass("android.content.ComponentName")(package, activity))
        try:  # started, not looked up: Android 11 hides other apps' activities from lookups without <queries>
            self._start(intent)
        except JavaException:  # ActivityNotFoundException, or SecurityException (not exported on this version)
            return False
        return True

    def _start(self, intent) -> None:
        intent.addFlags(autoclass("android.content.Intent").FLAG_ACTIVITY_NEW_TASK)
        context().startActivity(intent)

    def open_settings(self) -> None:
        """The app's page in the phone's settings (permissions, battery), where every maker keeps it."""
        uri = autoclass("android.net.Uri").fromParts("package", context().getPackageName(), None)
        action = autoclass("android.provider.Settings").ACTION_APPLICATION_DETAILS_SETTINGS
        self._start(autoclass("android.content.Intent")(action, uri))
