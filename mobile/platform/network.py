"""Is there a network? On Android the ConnectivityManager says; elsewhere, assume yes and let
the outbox find out (a failed send is retried with backoff anyway)."""
from __future__ import annotations


def network_available() -> bool:
    from . import on_android

    if not on_android():
        return True
    from jnius import autoclass, cast

    activity = autoclass("org.kivy.android.PythonActivity").mActivity
    manager = cast("android.net.ConnectivityManager", activity.getSystemService("connectivity"))
    info = manager.getActiveNetworkInfo()
    return bool(info and info.isConnected())
