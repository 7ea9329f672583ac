"""The one clock of the server and of the phone, and the local calendar.

Every "now" and every "today" either side reads is read here: times are stored in UTC, and days,
weeks and months follow Asia/Shanghai. Tests set the clock (time-machine) instead of assuming the
day they were written.
"""
import datetime as dt
import threading
import time
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> dt.datetime:
    """Now, an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


def timestamp() -> float:
    """Now, in seconds since the epoch (the phone's fixes and outbox)."""
    return time.time()


def local_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in Asia/Shanghai (for ``now`` if given, an aware datetime)."""
    return local_day(now or utcnow())


def local_day(instant: dt.datetime) -> dt.date:
    """The Asia/Shanghai date of an aware instant (a patrol at 23:30 UTC is the next day here)."""
    return instant.astimezone(LOCAL_TZ).date()


def local_midnight(day: dt.date) -> dt.datetime:
    """The UTC instant at which ``day`` begins in Asia/Shanghai."""
    return dt.datetime.combine(day, dt.time(), LOCAL_TZ).astimezone(dt.UTC)


def wait(stop: threading.Event, seconds: float, step: float = 0.25) -> bool:
    """Wait ``seconds``, or less if ``stop`` is set first; True when it was set.

    In short sleeps, not ``stop.wait(seconds)``: a timed wait on a lock ends by the monotonic
    clock as the C library reads it, and under libfaketime (the suite runs under it at chosen
    dates) that wait never times out, while sleeping is faked consistently.
    """
    deadline = time.monotonic() + seconds
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(step, left))
    return True
