"""Is there a network? On Android the ConnectivityManager says (from the app or the recording service);
elsewhere, assume yes and let the outbox find out (a failed send is retried with backoff anyway)."""
from __future__ import annotations


def network_available() -> bool:
    from . import on_android

    if not on_android():
        return True
    from .android import network_available as on_phone

    return on_phone()


def on_wifi() -> bool:
    """A network that costs nothing per byte (Wi-Fi), for big downloads; on the desktop, yes."""
    from . import on_android

    if not on_android():
        return True
    from .android import unmetered

    return unmetered()
