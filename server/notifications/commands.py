"""`riverpatrol notifications`: the retry run (cron, every few minutes) and the daily reminders (each morning)."""
from __future__ import annotations

import json
from collections import Counter

import click
from flask.cli import with_appcontext

from shared_models.clock import utcnow

from ..transaction import unit_of_work


@click.group("notifications")
def cli() -> None:
    """Notifications: send what is due, and the daily reminders."""


@cli.command("retry")
@with_appcontext
def notifications_retry() -> None:
    """Send what is due: failed sends after their backoff, and what waited for someone's quiet hours to end."""
    from . import delivery

    results: list[str] = []
    with unit_of_work():  # (the claims commit first; each send then runs in a unit of work of its own)
        claimed = delivery.dispatch(delivery.due(utcnow()), results)
    click.echo(json.dumps({"claimed": claimed, **Counter(results)}, ensure_ascii=False))


@cli.command("daily")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="As of this Asia/Shanghai day (default today).")
@with_appcontext
def notifications_daily(day) -> None:
    """Remind the assignees of cases due the next working day, and card holders whose window ends tomorrow unmet."""
    from . import reminders

    with unit_of_work():
        told = reminders.run(day.date() if day else None)
    click.echo(json.dumps(told, ensure_ascii=False))
