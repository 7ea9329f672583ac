"""A county's offline basemap: an administrator imports an MBTiles package (checked before anything of it is
used), the county's phones are told of it with each sync and download it in parts (Range); nobody outside the
county gets it; a file that is not a package of PNG or JPEG tiles is refused with what is wrong, and nothing kept."""
from __future__ import annotations

import hashlib
import sqlite3

import pytest
from sqlalchemy import func, select

from server.basemaps.models import Basemap
from server.extensions import db
from shared_models.enums import Role

from .mbtiles import make_mbtiles, tile_bytes

INSPECTOR, ADMIN = "13900000101", "13900000001"
WEIYANG = (108.85, 34.28, 108.98, 34.40)


def _import(app, path, county="610112"):
    return app.test_cli_runner().invoke(args=["basemap", "import", str(path), "--county", county])


def test_the_countys_phones_get_the_package_in_parts(engine_name, demo_app, api, tmp_path):
    package = make_mbtiles(tmp_path / "weiyang.mbtiles", WEIYANG)
    done = _import(demo_app, package)
    assert done.exit_code == 0, done.output
    assert "已导入离线底图" in done.output
    token = api.token(INSPECTOR)
    told = api.get("/api/v1/me/changes", token=token).json()["basemap"]
    data = package.read_bytes()
    assert told["sha256"] == hashlib.sha256(data).hexdigest() and told["size"] == len(data)
    assert (told["format"], told["min_zoom"], told["max_zoom"], told["bounds"]) == ("png", 13, 15, list(WEIYANG))
    assert api.get("/api/v1/me/basemap", token=token).json() == told
    # a download broken off goes on from where it stopped
    url = f"/api/v1/basemaps/{told['id']}/file"
    first = api.get(url, token=token, headers={"Range": "bytes=0-9999"})
    assert first.status_code == 206 and first.content == data[:10000]
    rest = api.get(url, token=token, headers={"Range": f"bytes={len(first.content)}-"})
    assert rest.status_code == 206 and first.content + rest.content == data


def test_nobody_outside_the_county_gets_it(engine_name, demo_app, api, tmp_path):
    from server.auth.users import create_user
    from server.grids.models import OrgUnit
    from server.transaction import unit_of_work

    assert _import(demo_app, make_mbtiles(tmp_path / "w.mbtiles", WEIYANG)).exit_code == 0
    with unit_of_work():
        other = OrgUnit(code="610113", name="雁塔区", level="county", path="/610113/")
        db.session.add(other)
        db.session.flush()
        create_user(None, phone="13900009999", name="外县巡查员", role=Role.INSPECTOR, org_unit_id=other.id,
                    password="Demo@2026")
    token = api.token("13900009999")
    assert api.get("/api/v1/me/changes", token=token).json()["basemap"] is None
    assert api.get("/api/v1/me/basemap", token=token).status_code == 404
    basemap_id = db.session.scalar(select(Basemap.id))
    assert api.get(f"/api/v1/basemaps/{basemap_id}/file", token=token).status_code == 404
    assert api.get(f"/api/v1/basemaps/{basemap_id}/file").status_code == 401


def _broken(tmp_path, kind):
    path = tmp_path / f"{kind}.mbtiles"
    if kind == "not_sqlite":
        path.write_bytes(b"PK\x03\x04 a zip, not a tile package" * 10)
    elif kind == "no_tiles_table":
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        con.commit()
        con.close()
    elif kind == "gif_tiles":
        make_mbtiles(path, WEIYANG, zooms=(13,), metadata={"format": "gif"})
    elif kind == "lying_tiles":
        make_mbtiles(path, WEIYANG, zooms=(13,), fmt="jpg", data=tile_bytes("png"))
    elif kind == "bad_bounds":
        make_mbtiles(path, WEIYANG, zooms=(13,), metadata={"bounds": "108,34,200,35"})
    return path


@pytest.mark.parametrize("kind, words", [
    ("not_sqlite", "不是 MBTiles 瓦片包"), ("no_tiles_table", "缺少 metadata 或 tiles 表"),
    ("gif_tiles", "须为 PNG 或 JPEG"), ("lying_tiles", "不是 JPG 图片"), ("bad_bounds", "不是有效的经纬度范围")])
def test_a_file_that_is_not_a_package_is_refused_and_nothing_kept(engine_name, demo_app, tmp_path, kind, words):
    done = _import(demo_app, _broken(tmp_path, kind))
    assert done.exit_code != 0 and words in done.output, done.output
    assert db.session.scalar(select(func.count()).select_from(Basemap)) == 0
    assert not list((tmp_path / "basemaps").glob("*"))  # no copy, no part of one
