"""`riverpatrol assess`: the monthly assessment, its lock and the payroll file."""
from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from ..commands import fail, unit_by_code
from ..errors import ApiError


@click.group("assess")
def cli() -> None:
    """Monthly assessment: preview, lock, payroll."""


@cli.command("preview")
@click.argument("period")
@click.option("--unit", "unit_code", required=True, help="Org unit code (e.g. the county's).")
@with_appcontext
def assess_preview(period: str, unit_code: str) -> None:
    """Print each inspector's score and pay for PERIOD (YYYY-MM) with the reasons, as JSON."""
    from .service import view

    try:
        result = view(unit_by_code(unit_code), period)
    except ApiError as exc:
        fail(exc)
    click.echo(json.dumps(result, ensure_ascii=False, default=str))


@cli.command("lock")
@click.argument("period")
@click.option("--unit", "unit_code", required=True)
@with_appcontext
def assess_lock(period: str, unit_code: str) -> None:
    """Lock PERIOD for the unit: an immutable snapshot; later changes only as audited corrections."""
    from ..transaction import unit_of_work
    from .service import lock

    try:
        with unit_of_work():
            snapshot = lock(None, unit_by_code(unit_code), period)
    except ApiError as exc:
        fail(exc)
    click.echo(json.dumps({"lock_id": snapshot.id, "period": period, **snapshot.totals}, ensure_ascii=False))


@cli.command("payroll")
@click.argument("period")
@click.option("--unit", "unit_code", required=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="xlsx", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def assess_payroll(period: str, unit_code: str, fmt: str, output: str) -> None:
    """Write the payroll (补贴发放表) of PERIOD with Chinese headers and township totals."""
    from pathlib import Path

    from .service import payroll_file, view

    unit = unit_by_code(unit_code)
    try:
        result = view(unit, period)
    except ApiError as exc:
        fail(exc)
    Path(output).write_bytes(payroll_file(unit, period, fmt, result).body)
    click.echo(f"{output}: {len(result['lines'])} 人 inspectors, {result['totals']['amount_fen'] / 100:.2f} 元")
