"""What a drafted frequency rule would have changed: last month assessed as it was and as it would
be with the draft (on a savepoint, rolled back: nothing is saved)."""
from __future__ import annotations

import datetime as dt

from ..extensions import db
from ..grids.scope import scope_unit
from ..rules.models import FrequencyRule
from ..rules.service import create_rule, same_scope
from .service import assess


def rule_preview(user, rule_data: dict, period: str) -> dict:
    """Last month assessed as it was and as it would be with the drafted rule (never saved)."""
    before = {x["inspector_id"]: x for x in assess(scope_unit(user), period)["lines"]}
    savepoint = db.session.begin_nested()
    try:
        draft = dict(rule_data)
        draft["valid_from"] = min(draft["valid_from"], dt.date.fromisoformat(period + "-01"))
        draft["valid_to"] = None
        for old in same_scope(FrequencyRule, draft):  # as if it had replaced them for that month
            old.valid_to = draft["valid_from"] - dt.timedelta(days=1)
            if old.valid_to < old.valid_from:
                db.session.delete(old)
        db.session.flush()
        create_rule(user, draft)
        after = {x["inspector_id"]: x for x in assess(scope_unit(user), period)["lines"]}
    finally:
        savepoint.rollback()
    rows = []
    for who, new in after.items():
        old = before.get(who)
        if old is None:
            continue
        changed = (old["metrics"]["required"], old["score"], old["amount_fen"]) != (
            new["metrics"]["required"], new["score"], new["amount_fen"])
        rows.append({"name": new["name"], "phone": new["phone"], "changed": changed,
                     "required": (old["metrics"]["required"], new["metrics"]["required"]),
                     "score": (old["score"], new["score"]), "amount": (old["amount_fen"], new["amount_fen"])})
    rows.sort(key=lambda r: (not r["changed"], r["name"]))
    return {"rows": rows, "changed": sum(r["changed"] for r in rows),
            "amount": (sum(r["amount"][0] for r in rows), sum(r["amount"][1] for r in rows))}
