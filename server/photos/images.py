"""Checking and re-encoding photos with Pillow; reading EXIF time and place."""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from shared_models.clock import LOCAL_TZ

from ..errors import ApiError

ACCEPTED = {"JPEG", "PNG"}
log = logging.getLogger(__name__)


@dataclass
class Processed:
    width: int
    height: int
    original_format: str
    taken_at: dt.datetime | None
    lon: float | None
    lat: float | None


def _taken_at(exif: Image.Exif) -> dt.datetime | None:
    ifd = exif.get_ifd(ExifTags.IFD.Exif)
    raw = ifd.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    if not raw:
        return None
    try:
        local = dt.datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = ifd.get(ExifTags.Base.OffsetTimeOriginal)
    try:
        tz = dt.datetime.strptime(str(offset).strip("\x00 "), "%z").tzinfo if offset else LOCAL_TZ
    except ValueError:
        tz = LOCAL_TZ  # cameras without an offset record local time; our phones are in China
    return local.replace(tzinfo=tz).astimezone(dt.UTC)


def _degrees(value, ref) -> float | None:
    try:
        d, m, s = (float(x) for x in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    deg = d + m / 60 + s / 3600
    return -deg if str(ref).upper() in ("S", "W") else deg


def _place(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if not gps:
        return None, None
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef, "N"))
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef, "E"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return lon, lat


@contextlib.contextmanager
def _opened(src: Path, max_pixels: int):
    """``src`` opened with Pillow as a JPEG or PNG of at most ``max_pixels`` (told by the header,
    before a pixel is decoded); anything Pillow refuses inside the block is ``photo.invalid_image``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(src) as img:
                if img.format not in ACCEPTED:
                    raise ApiError("photo.unsupported_format", 422, detail=img.format)
                if img.width * img.height > max_pixels:
                    raise ApiError("photo.too_many_pixels", 422, detail=f"{img.width}x{img.height}")
                yield img
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ApiError("photo.too_many_pixels", 422) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        # never Pillow's text in the answer: it names the file on this server
        log.info("photo refused by Pillow", extra={"error": type(exc).__name__})
        raise ApiError("photo.invalid_image", 422) from None


def inspect(src: Path, *, max_pixels: int) -> str:
    """The check done while the phone waits, so it hears at once of a bad file: a JPEG or PNG of a
    sane size (header) whose pixels decode (a truncated file does not). Re-encoding is the job's."""
    with _opened(src, max_pixels) as img:
        if img.format == "JPEG":  # every byte is still read (a truncated file fails), at 1/8 scale
            img.draft("RGB", (max(1, img.width // 8), max(1, img.height // 8)))
        img.load()
        return img.format


def process(src: Path, full: Path, thumb: Path, *, max_pixels: int, long_edge: int, thumb_edge: int) -> Processed:
    """Check ``src`` is a sane JPEG or PNG, then write the re-encoded photo and its thumbnail."""
    with _opened(src, max_pixels) as img:
        fmt = img.format
        exif = img.getexif()
        taken_at = _taken_at(exif)
        lon, lat = _place(exif)
        width, height = img.size
        if exif.get(ExifTags.Base.Orientation) in (5, 6, 7, 8):  # turned a quarter: upright it is the other way
            width, height = height, width
        if fmt == "JPEG":  # decoded at the smallest scale still at least the served size (25 MP: a quarter)
            k = long_edge / max(img.size)
            img.draft("RGB", (math.ceil(img.width * k), math.ceil(img.height * k)))
        img.load()
        upright = ImageOps.exif_transpose(img, in_place=True) or img
        if upright.mode not in ("RGB", "RGBA", "L", "LA"):  # (palette and bit images resize only by nearest pixel)
            upright = upright.convert("RGB")
        upright.thumbnail((long_edge, long_edge), Image.Resampling.LANCZOS)  # shrunk before any copy is made
        upright = upright.convert("RGB")
    full.parent.mkdir(parents=True, exist_ok=True)
    thumb.parent.mkdir(parents=True, exist_ok=True)
    upright.save(full, "JPEG", quality=85, optimize=True)
    upright.thumbnail((thumb_edge, thumb_edge), Image.Resampling.LANCZOS)
    upright.save(thumb, "JPEG", quality=80)
    return Processed(width, height, fmt, taken_at, lon, lat)
