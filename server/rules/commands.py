"""`riverpatrol rules`: patrol rules, scoring and pay plans from JSON, as the admin API takes them."""
from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from ..commands import fail, read_json, unit_by_code
from ..errors import ApiError
from .models import FrequencyRule, Plan, ValidityRuleConfig
from .schemas import FrequencyRuleSchema, PlanSchema, ValidityRuleSchema

RULE_KINDS = ("frequency", "validity", "plans")


def _rule_kind(kind: str):
    return {"frequency": (FrequencyRule, FrequencyRuleSchema), "validity": (ValidityRuleConfig, ValidityRuleSchema),
            "plans": (Plan, PlanSchema)}[kind]


@click.group("rules")
def cli() -> None:
    """Patrol rules, scoring and pay plans (as the admin API, for the county's own scripts)."""


@cli.command("add")
@click.argument("kind", type=click.Choice(RULE_KINDS))
@click.argument("path", type=click.File("rb"))
@with_appcontext
def rules_add(kind: str, path) -> None:
    """Add a rule from JSON (a list adds several, all or nothing); org_unit may be given as org_unit_code."""
    from marshmallow import ValidationError

    from ..transaction import unit_of_work
    from .service import create_rule

    model, schema = _rule_kind(kind)
    doc = read_json(path)
    made = []
    try:
        with unit_of_work():
            for item in doc if isinstance(doc, list) else [doc]:
                item = dict(item)
                if "org_unit_code" in item:
                    item["org_unit_id"] = unit_by_code(item.pop("org_unit_code")).id
                data = schema().load(item)
                made.append(create_rule(None, data, model=model))
    except ValidationError as exc:
        fail(ApiError("validation_error", 422, errors=exc.messages))
    except ApiError as exc:
        fail(exc)
    click.echo(json.dumps([{"id": r.id, "name": r.name} for r in made], ensure_ascii=False))


@cli.command("list")
@click.argument("kind", type=click.Choice(RULE_KINDS))
@with_appcontext
def rules_list(kind: str) -> None:
    """Every rule of a kind, one JSON object per line."""
    from sqlalchemy import select

    from ..extensions import db

    model, schema = _rule_kind(kind)
    for rule in db.session.scalars(select(model).order_by(model.id)):
        click.echo(json.dumps(schema().dump(rule), ensure_ascii=False))
