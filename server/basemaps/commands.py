"""`riverpatrol basemap import FILE --county CODE`: a county's offline basemap, checked and kept for its phones."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext


@click.group("basemap")
def cli() -> None:
    """Offline basemaps (MBTiles) for the phones."""


@cli.command("import")
@click.argument("package", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--county", "county_code", required=True, help="The county's org unit code, e.g. 610112.")
@with_appcontext
def basemap_import(package: Path, county_code: str) -> None:
    """Check an MBTiles package (PNG or JPEG tiles) and offer it to the county's phones (Wi-Fi download)."""
    from ..errors import ApiError
    from ..transaction import unit_of_work
    from .service import import_package

    try:
        with unit_of_work():
            basemap = import_package(package, county_code)
            line = (f"imported {basemap.name}: {basemap.tiles} tiles, zoom {basemap.min_zoom}-{basemap.max_zoom}, "
                    f"{basemap.size / 2**20:.1f} MB / 已导入离线底图")
    except ApiError as exc:
        raise click.ClickException("; ".join(str(v) for v in (exc.errors or {}).values()) or exc.code) from None
    click.echo(line)
