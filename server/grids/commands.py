"""`riverpatrol import`: grids and river segments from GeoJSON (all or nothing)."""
from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext

from ..commands import fail, read_json
from ..errors import ApiError
from ..transaction import unit_of_work


@click.group("import")
def cli() -> None:
    """Import grids and river segments from GeoJSON (all or nothing)."""


@cli.command("grids")
@click.argument("path", type=click.File("rb"))
@click.option("--repair", is_flag=True, help="Fix invalid polygons with make_valid.")
@with_appcontext
def import_grids(path, repair: bool) -> None:
    from .importer import import_grids as run

    try:
        with unit_of_work():
            result = run(read_json(path), actor=None, levels=current_app.config["ORG_LEVELS"], repair=repair)
    except ApiError as exc:
        fail(exc)
    click.echo(json.dumps(result, ensure_ascii=False))


@cli.command("segments")
@click.argument("path", type=click.File("rb"))
@with_appcontext
def import_segments(path) -> None:
    from .importer import import_segments as run

    try:
        with unit_of_work():
            result = run(read_json(path), actor=None)
    except ApiError as exc:
        fail(exc)
    click.echo(json.dumps(result, ensure_ascii=False))
