"""Which rule is in force: the one place that resolves "the nearest scope in force on a day".

Frequency rules, validity rules and plans (scoring, pay, case deadlines) are each set at an org
unit for a role, optionally for one grid level, over a range of days. For a grid on a day the rule
of the nearest unit at or above it wins; at one unit a rule for the grid's level wins over one for
any level. ``RuleBook`` reads them once (the assessment of a province asks for 25,000 villages).
"""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from sqlalchemy import select

from shared_models.track.verdict import ValidityRule

from ..extensions import db
from ..grids.models import OrgUnit
from .models import FrequencyRule, Plan, ValidityRuleConfig

# river warnings (预警): their levels and kinds
LEVEL_RANK = {"yellow": 1, "orange": 2, "red": 3}
LEVEL_LABELS = {"yellow": "黄色", "orange": "橙色", "red": "红色"}
WARNING_TYPES = {"notice": "通报预警", "water_quality": "水质预警", "problem": "问题预警"}
DEFAULT_VALIDITY = ValidityRule()  # where no county has set a validity rule (Guangzhou 2021: 10 min, 1 km, 30%)


class Rule(SimpleNamespace):
    """A rule or plan as plain values (read once; no ORM attribute access in the hot loops)."""

    def as_dict(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in vars(self).items()
                if k not in ("unit_code", "created_at")}


def _plain(row, unit_code: str) -> Rule:
    return Rule(unit_code=unit_code, **{c.key: getattr(row, c.key) for c in row.__table__.columns})


class RuleBook:
    """Every frequency rule, validity rule and plan, loaded once; the nearest scope in force on a day wins."""

    def __init__(self, models=(FrequencyRule, ValidityRuleConfig, Plan)) -> None:
        code = dict(db.session.execute(select(OrgUnit.id, OrgUnit.code).where(OrgUnit.id.in_(
            select(models[0].org_unit_id).union(*(select(m.org_unit_id) for m in models[1:]))))).all())
        self._by_code: dict[tuple[str, str], list[Rule]] = {}
        for model in models:
            for row in db.session.scalars(select(model).order_by(model.id)):
                kind = row.kind if model is Plan else self.KINDS[model]
                self._by_code.setdefault((kind, code[row.org_unit_id]), []).append(_plain(row, code[row.org_unit_id]))
        self._cache: dict = {}

    KINDS = {FrequencyRule: "frequency", ValidityRuleConfig: "validity"}

    def _pick(self, kind: str, path: str, level: str, role: str, day: dt.date) -> Rule | None:
        """Nearest scope first; at one scope a rule for the grid's level before one for any level.

        Memoised per path prefix, so a province's 25,000 villages cost one lookup each."""
        key = (kind, path, level, role, day)
        if key in self._cache:
            return self._cache[key]
        code = path.rstrip("/").rsplit("/", 1)[-1]
        found = [r for r in self._by_code.get((kind, code), ()) if r.role == role
                 and r.grid_level in (None, level) and r.valid_from <= day
                 and (r.valid_to is None or r.valid_to >= day)]
        if found:
            best = min(found, key=lambda r: r.grid_level is None)
        else:
            parent = path.rstrip("/").rsplit("/", 1)[0] + "/"
            best = self._pick(kind, parent, level, role, day) if parent.strip("/") else None
        self._cache[key] = best
        return best

    def rule(self, path: str, level: str, role: str, day: dt.date) -> Rule | None:
        """The frequency rule."""
        return self.plan("frequency", path, level, role, day)

    def plan(self, kind: str, path: str, level: str, role: str, day: dt.date) -> Rule | None:
        """A plan of ``kind`` (scoring, pay, case), or the ``frequency`` / ``validity`` rule."""
        return self._pick(kind, path, level, role, day)

    def validity(self, path: str, level: str, role: str, day: dt.date) -> tuple[ValidityRule, Rule | None]:
        """The validity rule the track analysis applies, and the county's configuration behind it (None:
        the default rule)."""
        c = self._pick("validity", path, level, role, day)
        if c is None:
            return DEFAULT_VALIDITY, None
        return ValidityRule(min_duration_s=c.min_duration_min * 60 if c.min_duration_min is not None else None,
                            min_distance_m=c.min_distance_m, min_coverage=c.min_coverage, tolerance_m=c.tolerance_m,
                            distance_on_segment=c.distance_on_segment, version=f"validity-{c.id}",
                            allowed_modes=tuple(c.allowed_modes or DEFAULT_VALIDITY.allowed_modes)), c


def validity_for(card, day: dt.date) -> tuple[ValidityRule, Rule | None]:
    """The validity rule in force for the card's grid and duty on the patrol's day."""
    return RuleBook((ValidityRuleConfig,)).validity(card.grid.path, card.grid.level, card.duty, day)
