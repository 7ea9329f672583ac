"""The county's offline basemap on the phone: fetched in parts on Wi-Fi (resumed where a download stopped, checked
by its SHA-256 before use), and read tile by tile for the map (a tile reaches the image decoder only when its
bytes are the PNG or JPEG the package says)."""
from __future__ import annotations

import hashlib
import math
import sqlite3
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"
SIGNATURES = {"png": b"\x89PNG\r\n\x1a\n", "jpg": b"\xff\xd8\xff"}
PART_BYTES = 4 * 1024 * 1024  # one request each
PULL_BUDGET = 16 * 1024 * 1024  # at most this much per sync: a big package comes over several


def folder(data_dir: Path) -> Path:
    return Path(data_dir) / "basemaps"


def ready(data_dir: Path, summary: dict | None) -> Path | None:
    """The package's file once it is whole and checked."""
    if not summary:
        return None
    path = folder(data_dir) / f"{summary['sha256']}.mbtiles"
    return path if path.exists() else None


def fetch(client, data_dir: Path, summary: dict, budget: int = PULL_BUDGET) -> Path | None:
    """Download up to ``budget`` bytes more of the package; the path when it is complete and its SHA-256 right.
    An older package is removed once the new one is in place."""
    done = ready(data_dir, summary)
    if done:
        return done
    where = folder(data_dir)
    where.mkdir(parents=True, exist_ok=True)
    part = where / f"{summary['sha256']}.part"
    have = part.stat().st_size if part.exists() else 0
    if have > summary["size"]:
        part.unlink()
        have = 0
    while have < summary["size"] and budget > 0:
        end = min(summary["size"], have + min(PART_BYTES, budget)) - 1
        r = client.call("GET", f"/api/v1/basemaps/{summary['id']}/file", headers={"Range": f"bytes={have}-{end}"})
        if r.status_code != 206 or not r.content:
            return None  # tried again at the next sync
        with open(part, "ab") as fh:
            fh.write(r.content)
        have += len(r.content)
        budget -= len(r.content)
    if have < summary["size"]:
        return None
    digest = hashlib.sha256()
    with open(part, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != summary["sha256"]:
        part.unlink()  # damaged on the way: fetched again from the start
        return None
    final = where / f"{summary['sha256']}.mbtiles"
    part.replace(final)
    for old in where.glob("*.mbtiles"):
        if old != final:
            old.unlink()
    return final


def tile_xy(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Web Mercator tile coordinates (x east, y south), fractional."""
    n = 2 ** z
    lat = max(-85.05, min(85.05, lat))
    return (lon + 180) / 360 * n, (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n


def tile_lonlat(x: float, y: float, z: int) -> tuple[float, float]:
    n = 2 ** z
    return x / n * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))


class Tiles:
    """An MBTiles package opened read-only, after its first bytes say it is SQLite."""

    def __init__(self, path: Path, fmt: str, min_zoom: int, max_zoom: int) -> None:
        with open(path, "rb") as fh:
            if fh.read(16) != SQLITE_MAGIC:
                raise ValueError("not an MBTiles package")
        self.fmt, self.min_zoom, self.max_zoom = fmt, min_zoom, max_zoom
        self.con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        row = self.con.execute("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                               (z, x, 2 ** z - 1 - y)).fetchone()  # MBTiles rows count from the south
        data = row[0] if row else None
        return data if isinstance(data, bytes) and data.startswith(SIGNATURES[self.fmt]) else None

    def zoom_for(self, degrees_wide: float, pixels_wide: float) -> int:
        """The zoom whose 256-pixel tiles are drawn closest to their own size."""
        z = round(math.log2(max(pixels_wide, 1) / 256 * 360 / max(degrees_wide, 1e-9)))
        return max(self.min_zoom, min(self.max_zoom, z))
