"""A small MBTiles tile package made in the tests (PIL and sqlite3 only, so the phone's tests use it too): solid
tiles of one colour with a darker grid, covering a lon/lat box at the zooms asked."""
from __future__ import annotations

import io
import math
import sqlite3
from pathlib import Path

from PIL import Image, ImageDraw

COLOUR = (214, 120, 200)  # a colour no screen of the app uses: where it shows, the tiles were drawn


def tile_range(west: float, south: float, east: float, north: float, z: int) -> tuple[range, range]:
    def xy(lon: float, lat: float) -> tuple[int, int]:
        n = 2 ** z
        x = int((lon + 180) / 360 * n)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        return min(max(x, 0), n - 1), min(max(y, 0), n - 1)

    x0, y0 = xy(west, north)
    x1, y1 = xy(east, south)
    return range(x0, x1 + 1), range(y0, y1 + 1)


def tile_bytes(fmt: str = "png", colour=COLOUR) -> bytes:
    img = Image.new("RGB", (256, 256), colour)
    draw = ImageDraw.Draw(img)
    for i in range(0, 256, 64):
        draw.line([(i, 0), (i, 255)], fill=tuple(c // 2 for c in colour), width=2)
        draw.line([(0, i), (255, i)], fill=tuple(c // 2 for c in colour), width=2)
    buf = io.BytesIO()
    img.save(buf, "PNG" if fmt == "png" else "JPEG")
    return buf.getvalue()


def make_mbtiles(path: Path, bounds: tuple[float, float, float, float], zooms=(13, 14, 15), fmt: str = "png",
                 data: bytes | None = None, metadata: dict | None = None) -> Path:
    con = sqlite3.connect(path)
    con.executescript("CREATE TABLE metadata (name TEXT, value TEXT);"
                      "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);"
                      "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);")
    meta = {"name": "测试底图", "format": fmt, "bounds": ",".join(map(str, bounds)), "minzoom": str(min(zooms)),
            "maxzoom": str(max(zooms)), "attribution": "测试数据", **(metadata or {})}
    con.executemany("INSERT INTO metadata VALUES (?, ?)", meta.items())
    blob = data if data is not None else tile_bytes(fmt)
    for z in zooms:
        xs, ys = tile_range(*bounds, z)
        con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                        [(z, x, 2 ** z - 1 - y, blob) for x in xs for y in ys])  # TMS rows: from the south
    con.commit()
    con.close()
    return path
