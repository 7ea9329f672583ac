"""`riverpatrol photos`: photo storage housekeeping."""
from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("photos")
def cli() -> None:
    """Photo storage housekeeping."""


@cli.command("prune")
@click.option("--older-than-hours", type=float, default=48.0, show_default=True,
              help="Unfinished uploads untouched this long are dropped (never under 24).")
@with_appcontext
def photos_prune(older_than_hours: float) -> None:
    """Drop unfinished uploads the phone has given up on."""
    import datetime as dt

    from ..transaction import unit_of_work
    from .service import prune_partials

    hours = max(24.0, older_than_hours)  # a phone offline for a day must still be able to resume
    with unit_of_work():
        pruned = prune_partials(dt.timedelta(hours=hours))
    click.echo(f"pruned {pruned} unfinished uploads / 已清理未完成上传")
