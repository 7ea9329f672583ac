"""Stable error codes of the track library, with their Chinese and English messages.

The server answers these codes to the phone as they are (422 with ``code``), and the
phone switches on them, so a code never changes meaning once released. Messages may
name a figure from the error's detail (``{limit}``, ``{missing}``, ...).
"""
from __future__ import annotations

# Wire bytes that cannot be decoded (codec.decode raises TrackDecodeError with these).
DECODE_MESSAGES: dict[str, tuple[str, str]] = {
    "track.bad_magic": ("不是河巡轨迹数据", "Not RiverPatrol track data"),
    "track.unsupported_version": ("不支持的轨迹数据版本 {version}，请升级应用",
                                  "Unsupported track data version {version}; update the app"),
    "track.truncated": ("轨迹数据不完整", "The track data is truncated"),
    "track.too_many_fixes": ("轨迹点过多（上限 {limit} 个）", "Too many fixes (limit {limit})"),
    "track.too_large": ("轨迹数据解压后过大", "The track data expands beyond the limit"),
    "track.trailing_data": ("轨迹数据后有多余内容", "Unexpected bytes after the track data"),
    "track.corrupt": ("轨迹数据已损坏", "The track data is corrupt"),
}

# Fixes no phone can honestly send (Track.validate / codec.validate).
VALIDATION_MESSAGES: dict[str, tuple[str, str]] = {
    "track.empty": ("轨迹为空", "The track has no fixes"),
    "track.bad_columns": ("轨迹数据列长度不一致或分段位置无效", "Track columns differ in length or parts are invalid"),
    "track.bad_coordinates": ("第 {index} 个点坐标无效（非数字或超出经纬度范围）",
                              "Fix {index} has invalid coordinates (not a number or out of range)"),
    "track.bad_time": ("轨迹时间无效", "Invalid timestamps"),
    "track.time_out_of_range": ("第 {index} 个点的时间早于 {earliest}，请检查手机时间",
                                "Fix {index} is dated before {earliest}; check the phone's clock"),
    "track.decreasing_time": ("轨迹时间在第 {index} 个点倒退", "Timestamps go backwards at fix {index}"),
    "track.future_time": ("轨迹时间晚于当前时间 {ahead_s} 秒，请检查手机时间",
                          "Timestamps are {ahead_s} s in the future; check the phone's clock"),
    "track.bad_accuracy": ("定位精度无效（负数）", "Invalid (negative) accuracy values"),
    "track.bad_values": ("第 {index} 个点的{name}数值无效（无穷大或超出范围）",
                         "Fix {index} has an invalid {column} value (infinite or out of range)"),
}

# GPX files (gpx.read_gpx).
GPX_MESSAGES: dict[str, tuple[str, str]] = {
    "track.bad_gpx": ("不是有效的 GPX 文件", "Not a valid GPX file"),
    "track.no_times": ("GPX 文件中没有带时间的轨迹点", "The GPX file has no fixes with times"),
    "track.missing_times": ("{total} 个轨迹点中 {missing} 个缺少时间", "{missing} of {total} fixes have no time"),
}

MESSAGES: dict[str, tuple[str, str]] = {**DECODE_MESSAGES, **VALIDATION_MESSAGES, **GPX_MESSAGES}


class TrackError(ValueError):
    """Bad track input, with a stable code and a Chinese and English message."""

    def __init__(self, code: str, zh: str, en: str, **detail) -> None:
        super().__init__(f"{code}: {en}")
        self.code = code
        self.zh = zh
        self.en = en
        self.detail = detail

    @property
    def message_zh(self) -> str:
        return self.zh

    @property
    def message_en(self) -> str:
        return self.en

    def to_dict(self) -> dict:
        """The JSON error body the server answers: code, messages, detail."""
        return {"code": self.code, "message": self.zh, "message_en": self.en, **self.detail}


class TrackDecodeError(TrackError):
    """Wire bytes that are not a track: ``TrackDecodeError(code, message_zh, message_en)``."""


def track_error(code: str, cls: type[TrackError] = TrackError, **detail) -> TrackError:
    """The error for a registered ``code``, its messages filled in from ``detail``."""
    zh, en = MESSAGES[code]
    return cls(code, zh.format(**detail), en.format(**detail), **detail)
