"""Checking and keeping a tile package, and which one a person's phone should have.

A package is an MBTiles file (SQLite with ``metadata`` and ``tiles``, rows in TMS order). It reaches SQLite only
after its first 16 bytes say it is one, and is opened read-only; its tiles must be the PNG or JPEG its metadata
names (checked on a sample, by their signatures), its bounds a real lon/lat box, its zooms 0-22.
"""
from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from ..auth.models import User
from ..errors import ApiError, NotFound
from ..extensions import db
from ..grids.models import OrgUnit
from .models import Basemap

SQLITE_MAGIC = b"SQLite format 3\x00"
SIGNATURES = {"png": b"\x89PNG\r\n\x1a\n", "jpg": b"\xff\xd8\xff"}
SAMPLE = 20  # tiles whose bytes are checked


def _bad(why: str) -> ApiError:
    return ApiError("basemap.invalid", 422, errors={"file": why})


def inspect(path: Path) -> dict:
    """The package's metadata, or ``basemap.invalid`` saying what is wrong with it."""
    size = path.stat().st_size
    if size > current_app.config["BASEMAP_MAX_BYTES"]:
        raise _bad(f"文件过大（{size / 2**20:.0f} MB，上限 {current_app.config['BASEMAP_MAX_BYTES'] / 2**20:.0f} MB）"
                   f" / too large")
    with open(path, "rb") as fh:
        if fh.read(16) != SQLITE_MAGIC:
            raise _bad("不是 MBTiles 瓦片包（SQLite 文件） / not an MBTiles (SQLite) file")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as exc:
        raise _bad("瓦片包无法打开 / the package cannot be opened") from exc
    try:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        if not {"metadata", "tiles"} <= names:
            raise _bad("瓦片包缺少 metadata 或 tiles 表 / the metadata or tiles table is missing")
        meta = {str(k): str(v) for k, v in con.execute("SELECT name, value FROM metadata")}
        fmt = {"jpeg": "jpg"}.get(meta.get("format", "").lower(), meta.get("format", "").lower())
        if fmt not in SIGNATURES:
            raise _bad("瓦片格式须为 PNG 或 JPEG / tiles must be PNG or JPEG")
        try:
            west, south, east, north = (float(v) for v in meta["bounds"].split(","))
        except (KeyError, ValueError):
            raise _bad("metadata 缺少有效的 bounds / no valid bounds in the metadata") from None
        if not (-180 <= west < east <= 180 and -85.06 <= south < north <= 85.06):
            raise _bad("bounds 不是有效的经纬度范围 / the bounds are not a lon/lat box")
        zooms = con.execute("SELECT min(zoom_level), max(zoom_level), count(*) FROM tiles").fetchone()
        if not zooms[2] or not (0 <= zooms[0] <= zooms[1] <= 22):
            raise _bad("瓦片包没有瓦片，或缩放级别不在 0-22 / no tiles, or zooms outside 0-22")
        for (data,) in con.execute("SELECT tile_data FROM tiles LIMIT ?", (SAMPLE,)):
            if not isinstance(data, bytes) or not data.startswith(SIGNATURES[fmt]):
                raise _bad(f"瓦片内容不是 {fmt.upper()} 图片 / a tile is not the {fmt.upper()} image it claims")
    except sqlite3.DatabaseError as exc:
        raise _bad("瓦片包已损坏 / the package is damaged") from exc
    finally:
        con.close()
    return {"name": meta.get("name") or path.stem, "attribution": meta.get("attribution", "")[:500],
            "tile_format": fmt, "min_zoom": zooms[0], "max_zoom": zooms[1], "west": west, "south": south,
            "east": east, "north": north, "tiles": zooms[2], "size": size}


def folder() -> Path:
    return Path(current_app.config["BASEMAP_DIR"])


def import_package(source: Path, county_code: str, actor: User | None = None) -> Basemap:
    """Check the package and keep a copy for the county (its phones fetch it at their next sync on Wi-Fi)."""
    county = db.session.scalar(select(OrgUnit).where(OrgUnit.code == county_code))
    if county is None or county.level != "county":
        raise ApiError("basemap.invalid", 422, errors={"unit": "没有这个县（区） / no such county"})
    meta = inspect(source)
    digest = hashlib.sha256()
    with open(source, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    sha = digest.hexdigest()
    folder().mkdir(parents=True, exist_ok=True)
    target = folder() / f"{sha}.mbtiles"
    if not target.exists():
        partial = target.with_suffix(".part")
        shutil.copyfile(source, partial)
        partial.replace(target)
    basemap = Basemap(org_unit_id=county.id, sha256=sha, imported_by_id=actor.id if actor else None, **meta)
    db.session.add(basemap)
    db.session.flush()
    return basemap


def for_user(user: User) -> Basemap | None:
    """The newest package of the person's county (the county among the units above them)."""
    return db.session.scalar(select(Basemap).join(OrgUnit, OrgUnit.id == Basemap.org_unit_id)
                             .where(OrgUnit.code.in_(user.org_unit.ancestor_codes), OrgUnit.level == "county")
                             .order_by(Basemap.id.desc()).limit(1))


def summary(basemap: Basemap | None) -> dict | None:
    """What the phone is told at each sync: enough to fetch the file and check it."""
    if basemap is None:
        return None
    return {"id": basemap.id, "name": basemap.name, "attribution": basemap.attribution, "sha256": basemap.sha256,
            "size": basemap.size, "format": basemap.tile_format, "min_zoom": basemap.min_zoom,
            "max_zoom": basemap.max_zoom, "bounds": [basemap.west, basemap.south, basemap.east, basemap.north]}


def file_for(user: User, basemap_id: int) -> Path:
    """The package's file, for a person of its county only."""
    basemap = db.session.get(Basemap, basemap_id)
    mine = for_user(user)
    if basemap is None or mine is None or basemap.org_unit_id != mine.org_unit_id:
        raise NotFound()
    return folder() / f"{basemap.sha256}.mbtiles"
