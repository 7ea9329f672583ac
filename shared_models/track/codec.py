"""Compact, versioned wire encoding of a track.

Layout: ``b"RPTK"``, a version byte, then a zlib stream holding the body. The body is a
varint fix count, a column-presence byte, the time unit, then one column after the
other, each as zigzag varints of first or second differences:

- lon, lat: integer micro-degrees (1e-6 deg, about 0.1 m), second differences (a
  steady walk at 1 Hz gives near-zero values);
- t: milliseconds (or seconds when every time is whole), second differences;
- accuracy, altitude (decimetres), speed (cm/s), bearing (0.1 deg): first differences,
  with a sentinel for "unknown";
- mock flags: a bitmap;
- part breaks (recording paused and resumed): a count, then first differences.

Round trip is exact at those precisions. Decoding never trusts the input: the fix
count is checked before anything is allocated, the decompressed size is capped, and
truncation or trailing bytes are refused with stable codes.
"""
from __future__ import annotations

import zlib

import numpy as np

from .model import MAX_FIXES, Track, TrackError

MAGIC = b"RPTK"
VERSION = 1
_NAN = -(2**53)  # stands for "unknown"; far outside any real value
_ALT, _SPEED, _BEARING, _MOCK, _ACC, _BREAKS = 1, 2, 4, 8, 16, 32
_SCALES = {"accuracy": 10.0, "altitude": 10.0, "speed": 100.0, "bearing": 10.0}


def _error(code: str, zh: str, en: str, **detail) -> TrackError:
    return TrackError(code, zh, en, **detail)


def _truncated() -> TrackError:
    return _error("track.truncated", "轨迹数据不完整", "The track data is truncated")


# --- varints, vectorised -------------------------------------------------------------

def _zigzag(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.int64)
    return ((x << 1) ^ (x >> 63)).astype(np.uint64)


def _unzigzag(u: np.ndarray) -> np.ndarray:
    return ((u >> np.uint64(1)).astype(np.int64)) ^ -((u & np.uint64(1)).astype(np.int64))


def _varints(u: np.ndarray) -> bytes:
    """LEB128 of every value, built column-wise over the byte positions (at most 10)."""
    if len(u) == 0:
        return b""
    lengths = np.ones(len(u), dtype=np.int64)
    rest = u >> np.uint64(7)
    while rest.any():
        lengths += rest > 0
        rest >>= np.uint64(7)
    starts = np.cumsum(lengths) - lengths
    out = np.empty(int(lengths.sum()), dtype=np.uint8)
    for k in range(int(lengths.max())):
        sel = lengths > k
        group = (u[sel] >> np.uint64(7 * k)) & np.uint64(0x7F)
        more = np.where(lengths[sel] > k + 1, 0x80, 0).astype(np.uint64)
        out[starts[sel] + k] = (group | more).astype(np.uint8)
    return out.tobytes()


def _read_varints(buf: np.ndarray, pos: int, count: int) -> tuple[np.ndarray, int]:
    """``count`` varints from ``buf[pos:]`` and the position after them."""
    if count == 0:
        return np.zeros(0, dtype=np.uint64), pos
    # a varint is at most 10 bytes: look no further than that
    window = buf[pos:pos + 10 * count]
    ends = np.flatnonzero(window < 0x80)
    if len(ends) < count:
        raise _truncated()
    ends = ends[:count]
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts + 1
    if lengths.max() > 10:
        raise _error("track.corrupt", "轨迹数据已损坏", "The track data is corrupt")
    values = np.zeros(count, dtype=np.uint64)
    for k in range(int(lengths.max())):
        sel = lengths > k
        values[sel] |= (window[starts[sel] + k].astype(np.uint64) & np.uint64(0x7F)) << np.uint64(7 * k)
    return values, pos + int(ends[-1]) + 1


def _read_varint(buf: np.ndarray, pos: int) -> tuple[int, int]:
    values, pos = _read_varints(buf, pos, 1)
    return int(values[0]), pos


# --- columns -------------------------------------------------------------------------

def _diff(x: np.ndarray, order: int) -> np.ndarray:
    for _ in range(order):
        x = np.diff(x, prepend=np.int64(0))
    return x


def _undiff(x: np.ndarray, order: int) -> np.ndarray:
    for _ in range(order):
        x = np.cumsum(x, dtype=np.int64)
    return x


def _scaled(values: np.ndarray, scale: float) -> np.ndarray:
    out = np.full(len(values), _NAN, dtype=np.int64)
    known = np.isfinite(values)
    out[known] = np.rint(values[known] * scale).astype(np.int64)
    return out


def _unscaled(ints: np.ndarray, scale: float) -> np.ndarray:
    out = ints.astype(np.float64) / scale
    out[ints == _NAN] = np.nan
    return out


def encode(track: Track, level: int = 9) -> bytes:
    """The wire bytes of ``track`` (validate it first; encoding does not judge)."""
    n = len(track)
    if not np.isfinite(track.t).all():
        raise _error("track.bad_time", "时间无效", "Invalid timestamps")
    t_ms = np.rint(track.t * 1000).astype(np.int64)
    unit = 1000 if n and not (t_ms % 1000).any() else 1
    flags = (_ALT if track.altitude is not None else 0) | (_SPEED if track.speed is not None else 0) | (
        _BEARING if track.bearing is not None else 0) | (_MOCK if track.mock is not None else 0) | (
        _ACC if np.isfinite(track.accuracy).any() else 0) | (_BREAKS if len(track.breaks) else 0)
    parts = [_varints(np.array([n, flags, unit], dtype=np.uint64))]
    parts.append(_varints(_zigzag(_diff(_scaled(track.lon, 1e6), 2))))  # NaN travels as "unknown"
    parts.append(_varints(_zigzag(_diff(_scaled(track.lat, 1e6), 2))))
    parts.append(_varints(_zigzag(_diff(t_ms // unit, 2))))
    for bit, name in ((_ACC, "accuracy"), (_ALT, "altitude"), (_SPEED, "speed"), (_BEARING, "bearing")):
        if flags & bit:
            parts.append(_varints(_zigzag(_diff(_scaled(getattr(track, name), _SCALES[name]), 1))))
    if flags & _MOCK:
        parts.append(np.packbits(track.mock).tobytes())
    if flags & _BREAKS:
        parts.append(_varints(np.array([len(track.breaks)], dtype=np.uint64)))
        parts.append(_varints(np.diff(track.breaks, prepend=0).astype(np.uint64)))
    return MAGIC + bytes([VERSION]) + zlib.compress(b"".join(parts), level)


def decode(data: bytes, max_fixes: int = MAX_FIXES) -> Track:
    """A track from wire bytes; hostile input raises TrackError, never anything worse."""
    if len(data) < len(MAGIC) + 1:
        raise _truncated()
    if data[:4] != MAGIC:
        raise _error("track.bad_magic", "不是河巡轨迹数据", "Not RiverPatrol track data")
    if data[4] != VERSION:
        raise _error("track.unsupported_version", "不支持的轨迹数据版本", "Unsupported track data version",
                     version=data[4])
    # 3 header varints, up to 10 bytes for each of 4 mandatory + 4 optional columns, a bitmap
    limit = 64 + max_fixes * 81
    inflater = zlib.decompressobj()
    try:
        body = inflater.decompress(data[5:], limit)
    except zlib.error:
        raise _error("track.corrupt", "轨迹数据已损坏", "The track data is corrupt") from None
    if inflater.unconsumed_tail:
        raise _error("track.too_large", "轨迹数据解压后过大", "The track data expands beyond the limit")
    if not inflater.eof:
        raise _truncated()
    if inflater.unused_data:
        raise _error("track.trailing_data", "轨迹数据后有多余内容", "Unexpected bytes after the track data")
    buf = np.frombuffer(body, dtype=np.uint8)
    n, pos = _read_varint(buf, 0)
    if n > max_fixes:
        raise _error("track.too_many_fixes", f"轨迹点过多（上限 {max_fixes}）", f"Too many fixes (limit {max_fixes})",
                     fixes=n)
    flags, pos = _read_varint(buf, pos)
    unit, pos = _read_varint(buf, pos)
    if unit not in (1, 1000) or flags >= 64:
        raise _error("track.corrupt", "轨迹数据已损坏", "The track data is corrupt")
    if 3 * n > len(buf) - pos:  # every column needs at least a byte a fix
        raise _truncated()

    def column(order: int) -> np.ndarray:
        nonlocal pos
        raw, pos = _read_varints(buf, pos, n)
        return _undiff(_unzigzag(raw), order)

    lon = _unscaled(column(2), 1e6)
    lat = _unscaled(column(2), 1e6)
    t = column(2).astype(np.float64) * unit / 1000.0
    optional = {}
    for bit, name in ((_ACC, "accuracy"), (_ALT, "altitude"), (_SPEED, "speed"), (_BEARING, "bearing")):
        if flags & bit:
            optional[name] = _unscaled(column(1), _SCALES[name])
    mock = None
    if flags & _MOCK:
        size = (n + 7) // 8
        if pos + size > len(buf):
            raise _truncated()
        mock = np.unpackbits(buf[pos:pos + size])[:n].astype(bool)
        pos += size
    breaks = None
    if flags & _BREAKS:
        count, pos = _read_varint(buf, pos)
        if count >= max(n, 1):
            raise _error("track.corrupt", "轨迹数据已损坏", "The track data is corrupt")
        raw, pos = _read_varints(buf, pos, count)
        breaks = np.cumsum(raw.astype(np.int64))
    if pos != len(buf):
        raise _error("track.trailing_data", "轨迹数据后有多余内容", "Unexpected bytes after the track data")
    return Track(lon, lat, t, optional.get("accuracy"), optional.get("altitude"), optional.get("speed"),
                 optional.get("bearing"), mock, breaks)
