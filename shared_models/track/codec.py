"""Compact, versioned wire encoding of a track, and its safe decoding.

Version 2 layout (what ``encode`` writes)::

    b"RPTK"  version (1 byte, 2)  varint n  varint columns  varint time-unit  zlib(body)

The header is plain so that the fix count is checked before a single byte is inflated,
and the inflated size is capped by what ``n`` fixes can honestly take. The body holds
one column after the other, each as LEB128 varints of zigzagged differences:

- lon, lat: integer micro-degrees (1e-6 deg, 0.11 m north-south), second differences:
  a steady walk at 1 Hz gives near-zero values, which is what makes it small;
- t: integer milliseconds, or whole seconds when every time is whole (unit 1000 vs 1),
  second differences (a steady 1 Hz clock gives zeros);
- accuracy (0.1 m), altitude (0.1 m), speed (0.01 m/s), bearing (0.1 deg): first
  differences; NaN ("unknown") travels as a sentinel;
- mock flags: a bitmap; part breaks (recording paused and resumed): a count, then the
  first differences of the indices;
- GNSS time and time since boot (phones from this release): integer milliseconds, second
  differences like t, NaN as the sentinel (columns bits 64 and 128: older decoders refuse
  them as corrupt, so phone and server are released together).

Round trip is exact at those precisions. Compression is deflate inside the format
(zlib, level 9), not left to the transport: the phone stores and queues the bytes as
they will travel, and the server stores them as received. The "bytes per fix after
gzip" figure is therefore simply ``len(encode(track)) / len(track)`` (zlib framing is
6 bytes, gzip's 18). Version 1 (the count inside the zlib stream) is still decoded, for
phones that queued patrols before upgrading.

Decoding never trusts the input: every failure is a ``TrackDecodeError`` with a stable
code (see ``errors.DECODE_MESSAGES``), never an IndexError or a MemoryError.
"""
from __future__ import annotations

import datetime as dt
import zlib

import numpy as np

from .errors import TrackDecodeError, TrackError, track_error
from .model import FUTURE_TOLERANCE_S, MAX_FIXES, Track

MAGIC = b"RPTK"
VERSION = 2
SUPPORTED_VERSIONS = (1, 2)
_NAN = -(2**53)  # stands for "unknown"; far outside any scaled real value
_ALT, _SPEED, _BEARING, _MOCK, _ACC, _BREAKS, _GNSS, _ELAPSED = 1, 2, 4, 8, 16, 32, 64, 128
_TIMES = ((_GNSS, "gnss_t"), (_ELAPSED, "elapsed"))  # seconds, carried as milliseconds
_OPTIONAL = ((_ACC, "accuracy"), (_ALT, "altitude"), (_SPEED, "speed"), (_BEARING, "bearing"))
_SCALES = {"accuracy": 10.0, "altitude": 10.0, "speed": 100.0, "bearing": 10.0}
_MAX_VARINT = 10  # a 64-bit value takes at most 10 LEB128 bytes


def _fail(code: str, **detail) -> TrackDecodeError:
    return track_error(code, TrackDecodeError, **detail)


# --- varints, vectorised over whole columns --------------------------------------------

def _zigzag(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.int64)
    return ((x << 1) ^ (x >> 63)).astype(np.uint64)


def _unzigzag(u: np.ndarray) -> np.ndarray:
    return ((u >> np.uint64(1)).astype(np.int64)) ^ -((u & np.uint64(1)).astype(np.int64))


def _varints(u: np.ndarray) -> bytes:
    """LEB128 of every value, built column-wise over the byte positions (at most 10 passes)."""
    u = np.asarray(u, dtype=np.uint64)
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
    # no varint is longer than 10 bytes, so look no further than that
    window = buf[pos:pos + _MAX_VARINT * count]
    ends = np.flatnonzero(window < 0x80)
    if len(ends) < count:
        raise _fail("track.truncated")
    ends = ends[:count]
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts + 1
    if lengths.max() > _MAX_VARINT:
        raise _fail("track.corrupt")
    values = np.zeros(count, dtype=np.uint64)
    for k in range(int(lengths.max())):
        sel = lengths > k
        values[sel] |= (window[starts[sel] + k].astype(np.uint64) & np.uint64(0x7F)) << np.uint64(7 * k)
    return values, pos + int(ends[-1]) + 1


# --- columns ---------------------------------------------------------------------------

def _diff(x: np.ndarray, order: int) -> np.ndarray:
    for _ in range(order):
        x = np.diff(x, prepend=np.int64(0))
    return x


def _undiff(x: np.ndarray, order: int) -> np.ndarray:
    for _ in range(order):
        x = np.cumsum(x, dtype=np.int64)  # hostile input may wrap around: harmless, validation refuses it
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


def _columns_of(track: Track) -> int:
    return ((_ALT if track.altitude is not None else 0) | (_SPEED if track.speed is not None else 0)
            | (_BEARING if track.bearing is not None else 0) | (_MOCK if track.mock is not None else 0)
            | (_ACC if np.isfinite(track.accuracy).any() else 0) | (_BREAKS if len(track.breaks) else 0)
            | (_GNSS if track.gnss_t is not None else 0) | (_ELAPSED if track.elapsed is not None else 0))


def _body_limit(n: int, columns: int) -> int:
    """The most bytes an honest body of ``n`` fixes with these columns can take."""
    numeric = 3 + sum(1 for bit, _ in (*_OPTIONAL, *_TIMES) if columns & bit)
    size = n * _MAX_VARINT * numeric
    if columns & _MOCK:
        size += (n + 7) // 8
    if columns & _BREAKS:
        size += _MAX_VARINT * (n + 1)
    return size + 3 * _MAX_VARINT  # plus version 1's header inside the body


def encode(track: Track, level: int = 9) -> bytes:
    """The wire bytes of ``track`` (validate it first: encoding keeps what it is given)."""
    n = len(track)
    if not np.isfinite(track.t).all():
        raise track_error("track.bad_time")
    t_ms = np.rint(track.t * 1000).astype(np.int64)
    unit = 1000 if n and not (t_ms % 1000).any() else 1
    columns = _columns_of(track)
    body = [_varints(_zigzag(_diff(_scaled(track.lon, 1e6), 2))),
            _varints(_zigzag(_diff(_scaled(track.lat, 1e6), 2))),
            _varints(_zigzag(_diff(t_ms // unit, 2)))]
    for bit, name in _OPTIONAL:
        if columns & bit:
            body.append(_varints(_zigzag(_diff(_scaled(getattr(track, name), _SCALES[name]), 1))))
    if columns & _MOCK:
        body.append(np.packbits(track.mock).tobytes())
    if columns & _BREAKS:
        body.append(_varints(np.array([len(track.breaks)], dtype=np.uint64)))
        body.append(_varints(np.diff(track.breaks, prepend=0).astype(np.uint64)))
    for bit, name in _TIMES:
        if columns & bit:
            body.append(_varints(_zigzag(_diff(_scaled(getattr(track, name), 1000.0), 2))))
    header = _varints(np.array([n, columns, unit], dtype=np.uint64))
    return MAGIC + bytes([VERSION]) + header + zlib.compress(b"".join(body), level)


def _header(buf: np.ndarray, pos: int, max_fixes: int) -> tuple[int, int, int, int]:
    """Fix count, columns and time unit, refusing a count above the limit before anything else."""
    n, pos = _read_varints(buf, pos, 1)
    if int(n[0]) > max_fixes:
        raise _fail("track.too_many_fixes", limit=max_fixes, fixes=int(n[0]))
    rest, pos = _read_varints(buf, pos, 2)
    columns, unit = int(rest[0]), int(rest[1])
    if unit not in (1, 1000) or columns >= 256:
        raise _fail("track.corrupt")
    return int(n[0]), columns, unit, pos


def _inflate(data: memoryview, limit: int) -> np.ndarray:
    inflater = zlib.decompressobj()
    try:
        body = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise _fail("track.corrupt") from None
    if len(body) > limit or inflater.unconsumed_tail:
        raise _fail("track.too_large", limit=limit)
    if not inflater.eof:
        raise _fail("track.truncated")
    if inflater.unused_data:
        raise _fail("track.trailing_data")
    return np.frombuffer(body, dtype=np.uint8)


def _body(buf: np.ndarray, pos: int, n: int, columns: int, unit: int) -> Track:
    if 3 * n > len(buf) - pos:  # every column needs at least a byte a fix
        raise _fail("track.truncated")

    def column(order: int) -> np.ndarray:
        nonlocal pos
        raw, pos = _read_varints(buf, pos, n)
        return _undiff(_unzigzag(raw), order)

    lon = _unscaled(column(2), 1e6)
    lat = _unscaled(column(2), 1e6)
    t = (column(2) * unit).astype(np.float64) / 1000.0  # a correctly rounded division: the same double as sent
    optional = {name: _unscaled(column(1), _SCALES[name]) for bit, name in _OPTIONAL if columns & bit}
    mock = None
    if columns & _MOCK:
        size = (n + 7) // 8
        if pos + size > len(buf):
            raise _fail("track.truncated")
        mock = np.unpackbits(buf[pos:pos + size])[:n].astype(bool)
        pos += size
    breaks = None
    if columns & _BREAKS:
        count, pos = _read_varints(buf, pos, 1)
        if int(count[0]) >= max(n, 1):
            raise _fail("track.corrupt")
        raw, pos = _read_varints(buf, pos, int(count[0]))
        if len(raw) and (raw.min() < 1 or raw.max() >= n):  # strictly increasing indices inside the track
            raise _fail("track.corrupt")
        breaks = np.cumsum(raw.astype(np.int64))
        if len(breaks) and breaks[-1] >= n:
            raise _fail("track.corrupt")
    times = {name: _unscaled(column(2), 1000.0) for bit, name in _TIMES if columns & bit}
    if pos != len(buf):
        raise _fail("track.trailing_data")
    try:
        return Track(lon, lat, t, optional.get("accuracy"), optional.get("altitude"), optional.get("speed"),
                     optional.get("bearing"), mock, breaks, gnss_t=times.get("gnss_t"), elapsed=times.get("elapsed"))
    except TrackError:
        raise _fail("track.corrupt") from None


def decode(data: bytes, max_fixes: int = MAX_FIXES, max_body_bytes: int | None = None) -> Track:
    """A track from wire bytes; hostile input raises TrackDecodeError, never anything worse.

    ``max_fixes`` refuses larger tracks before anything is allocated for them;
    ``max_body_bytes`` caps the inflated size further (by default the most that the
    announced fixes can honestly take).
    """
    data = memoryview(data).cast("B")  # slices of a view, never copies of a hostile upload
    if data[:len(MAGIC)] != MAGIC[:len(data)]:
        raise _fail("track.bad_magic")
    if len(data) <= len(MAGIC):
        raise _fail("track.truncated")
    version = data[len(MAGIC)]
    if version not in SUPPORTED_VERSIONS:
        raise _fail("track.unsupported_version", version=version)
    rest = data[len(MAGIC) + 1:]
    if version == 1:  # the count sits inside the zlib stream: inflate within the global cap first
        limit = _body_limit(max_fixes, 63)  # version 1 knew no more columns
        buf = _inflate(rest, min(limit, max_body_bytes or limit))
        n, columns, unit, pos = _header(buf, 0, max_fixes)
        return _body(buf, pos, n, columns, unit)
    n, columns, unit, pos = _header(np.frombuffer(rest[:3 * _MAX_VARINT], dtype=np.uint8), 0, max_fixes)
    limit = _body_limit(n, columns)
    buf = _inflate(rest[pos:], min(limit, max_body_bytes or limit))
    return _body(buf, 0, n, columns, unit)


def validate(track: Track, now: dt.datetime | None = None, max_fixes: int = MAX_FIXES,
             future_tolerance_s: float = FUTURE_TOLERANCE_S) -> Track:
    """``track`` if it is one a phone can honestly send, else TrackError with a stable code.

    Codes: ``track.empty``, ``track.too_many_fixes``, ``track.bad_coordinates`` (NaN or
    beyond +-180/+-90), ``track.bad_time`` (not a number), ``track.time_out_of_range`` (before
    ``model.EARLIEST``), ``track.future_time`` (later than ``now`` plus the tolerance),
    ``track.decreasing_time``, ``track.bad_accuracy``, ``track.bad_values`` (an optional
    column infinite or beyond ``model.MAX_MAGNITUDE``).
    """
    track.validate(now=now, max_fixes=max_fixes, future_tolerance_s=future_tolerance_s)
    return track
