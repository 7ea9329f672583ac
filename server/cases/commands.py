"""`riverpatrol cases`: the daily overdue run (督办) and the ledger (问题台账)."""
from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from ..commands import unit_by_code
from ..transaction import unit_of_work


@click.group("cases")
def cli() -> None:
    """Problem cases: the daily overdue run (督办) and the ledger (问题台账)."""


@cli.command("escalate")
@click.option("--unit", "unit_code", help="Only this org unit (default: every county).")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="As of this Asia/Shanghai day (default today).")
@with_appcontext
def cases_escalate(unit_code: str | None, day) -> None:
    """Move overdue cases up their county's escalation steps; run it daily (cron)."""
    from .workflow import escalate_overdue

    path = unit_by_code(unit_code).path if unit_code else "/"
    with unit_of_work():
        events = escalate_overdue(today=day.date() if day else None, scope_path=path)
    for event in events:
        click.echo(json.dumps({"case_no": event.case.case_no, "level": event.evidence["level"], "step": event.note,
                               "overdue_working_days": event.evidence["overdue_working_days"]}, ensure_ascii=False))
    click.echo(f"{len(events)} 件督办 escalated", err=True)


@cli.command("ledger")
@click.option("--unit", "unit_code", required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]))
@with_appcontext
def cases_ledger(unit_code: str, output: str, first, last) -> None:
    """Write the ledger (问题台账) of the unit's cases, with every step, as XLSX."""
    from pathlib import Path

    from . import service

    made = service.ledger_file(unit_by_code(unit_code), first.date() if first else None, last.date() if last else None)
    Path(output).write_bytes(made.body)
    click.echo(f"{output}: {made.items} 件 cases")
