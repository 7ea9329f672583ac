"""GPS on Android through plyer, with the mock-location flag read from the platform.

Only imported on a phone (pyjnius and plyer's Android backend exist only there); the
APK is built with buildozer on a machine with the Android SDK.
"""
from __future__ import annotations

from plyer import gps  # noqa: F401  (Android backend)

from shared_models.clock import timestamp


class AndroidGps:
    def __init__(self, on_fix, on_status) -> None:
        self.on_fix = on_fix
        self.on_status = on_status
        gps.configure(on_location=self._location, on_status=self._status)

    def start(self) -> None:
        gps.start(minTime=1000, minDistance=0)

    def stop(self) -> None:
        gps.stop()

    def _status(self, stype, status) -> None:
        # plyer reports provider-enabled / provider-disabled: the app records them as GPS lost or back
        self.on_status("gps_lost" if "disabled" in str(status) else "gps_regained")

    def _location(self, **kw) -> None:
        self.on_fix({"t": timestamp(), "lon": kw["lon"], "lat": kw["lat"], "accuracy": kw.get("accuracy"),
                     "altitude": kw.get("altitude"), "speed": kw.get("speed"), "bearing": kw.get("bearing"),
                     "mock": _last_fix_is_mock()})


def _last_fix_is_mock() -> bool:
    """Location.isMock() (API 31+) or isFromMockProvider() on the last GPS fix."""
    from jnius import autoclass, cast

    activity = autoclass("org.kivy.android.PythonActivity").mActivity
    manager = cast("android.location.LocationManager", activity.getSystemService("location"))
    last = manager.getLastKnownLocation("gps")
    if last is None:
        return False
    if autoclass("android.os.Build$VERSION").SDK_INT >= 31:
        return bool(last.isMock())
    return bool(last.isFromMockProvider())


def start_recording_service() -> None:
    """Start the foreground service declared in buildozer.spec (services = Recorder:...)."""
    from jnius import autoclass

    service = autoclass("cn.riverpatrol.riverpatrol.ServiceRecorder")
    service.start(autoclass("org.kivy.android.PythonActivity").mActivity, "")
