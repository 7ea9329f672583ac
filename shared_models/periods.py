"""Local calendar: periods follow Asia/Shanghai; times are stored in UTC."""
import datetime as dt
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in Asia/Shanghai (for ``now`` if given, an aware datetime)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(LOCAL_TZ).date()
