"""What every domain's commands share: errors as the API's JSON, JSON files read with a clear
error, org units named by their code."""
from __future__ import annotations

import json
import sys

import click

from .errors import ApiError


def fail(exc: ApiError) -> None:
    from .errors import error_body

    click.echo(json.dumps(error_body(exc.code, exc.errors), ensure_ascii=False, indent=2), err=True)
    sys.exit(1)


def read_json(fh) -> object:
    try:
        return json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        click.echo(f"文件不是有效的 JSON / the file is not valid JSON: {exc}", err=True)
        sys.exit(1)


def unit_by_code(code: str):
    from sqlalchemy import select

    from .extensions import db
    from .grids.models import OrgUnit

    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))
    if unit is None:
        click.echo(f"没有编码为 {code} 的网格 / no org unit with code {code}", err=True)
        sys.exit(1)
    return unit
