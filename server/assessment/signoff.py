"""The month signed off by each township before the county locks it, and the year's assessment from the locked
months (年度考核).

A township's supervisor (or the county's admin) confirms a month once it has ended and before it is locked, with
comments; the county sees which townships have not. The lock does not wait for them (the county must be able to
pay on time); the page says who had not. The year's line per person is the mean of the monthly scores of the
locked months (with their corrections), tiered by the scoring plan's ``annual_tiers`` or the town template's
90 / 80 / 70."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from shared_models.clock import local_today

from ..audit import service as audit
from ..auth.models import User
from ..errors import ApiError, NotFound
from ..exports import ExportFile
from ..extensions import db
from ..grids.models import OrgUnit
from ..rules.book import RuleBook
from ..xlsx import MIME, workbook
from .models import AssessmentLock, MonthSignoff
from .service import check_period, effective_lines, lock_over

ANNUAL_TIERS = [{"code": "excellent", "label": "优秀", "min": 90}, {"code": "good", "label": "良好", "min": 80},
                {"code": "pass", "label": "合格", "min": 70}, {"code": "fail", "label": "不合格", "min": None}]


def townships(unit: OrgUnit) -> list[OrgUnit]:
    """The townships at or under ``unit``."""
    return db.session.scalars(select(OrgUnit).where(OrgUnit.level == "township", OrgUnit.path.startswith(
        unit.path, autoescape=True)).order_by(OrgUnit.code)).all()


def status(unit: OrgUnit, period: str) -> list[dict]:
    """Each township under ``unit``: signed off (by whom, when, with what comment) or not yet."""
    check_period(period)
    towns = townships(unit)
    signed = {s.org_unit_id: s for s in db.session.scalars(select(MonthSignoff).where(
        MonthSignoff.period == period, MonthSignoff.org_unit_id.in_([t.id for t in towns])))}
    return [{"org_unit_id": t.id, "township": t.name, "signed": t.id in signed,
             "signed_at": signed[t.id].signed_at if t.id in signed else None,
             "signed_by": signed[t.id].signed_by.name if t.id in signed else None,
             "comment": signed[t.id].comment if t.id in signed else ""} for t in towns]


def sign_off(actor: User, township: OrgUnit, period: str, comment: str) -> MonthSignoff:
    _, last = check_period(period)
    if township.level != "township":
        raise ApiError("assessment.signoff_invalid", 422,
                       errors={"org_unit_id": "由乡镇确认月度考核，请选择乡镇 / a township signs off"})
    if last >= local_today():
        raise ApiError("assessment.signoff_invalid", 409,
                       errors={"period": "该月尚未结束，结束后再确认 / the month has not ended"})
    if lock_over(township, period) is not None:
        raise ApiError("assessment.locked", 409, period=period)
    if db.session.scalar(select(MonthSignoff.id).where(MonthSignoff.org_unit_id == township.id,
                                                       MonthSignoff.period == period)):
        raise ApiError("assessment.signoff_invalid", 409, errors={"period": "该月已确认 / already signed off"})
    done = MonthSignoff(org_unit_id=township.id, period=period, signed_by_id=actor.id, comment=comment.strip())
    db.session.add(done)
    db.session.flush()
    audit.record(actor, "assessment.signed_off", "assessment", f"{township.code}:{period}", scope_path=township.path,
                 after={"comment": done.comment})
    return done


def annual(unit: OrgUnit, year: int) -> dict:
    """Per person: the score of each locked month of ``year`` (corrections applied), their mean and its tier."""
    if not 1900 <= year <= 2999:
        raise NotFound()
    periods = [f"{year}-{m:02d}" for m in range(1, 13)]
    locks = db.session.scalars(select(AssessmentLock).join(OrgUnit, OrgUnit.id == AssessmentLock.org_unit_id).where(
        AssessmentLock.period.in_(periods), OrgUnit.code.in_(unit.ancestor_codes) | OrgUnit.path.startswith(
            unit.path, autoescape=True))).all()
    people: dict[int, dict] = {}
    for snapshot in locks:
        month = int(snapshot.period[5:])
        for line in effective_lines(snapshot):
            if not (line.get("grid_path") or "").startswith(unit.path):
                continue
            row = people.setdefault(line["inspector_id"], {
                "inspector_id": line["inspector_id"], "name": line["name"], "phone": line["phone"],
                "township": line.get("township"), "grid": line.get("grid"), "months": {}})
            row["months"][month] = line.get("score")
    tiers = _tiers(unit, year)
    lines = []
    for row in people.values():
        scores = [s for s in row["months"].values() if s is not None]
        mean = round(sum(scores) / len(scores), 2) if scores else None
        tier = next((t for t in tiers if t["min"] is None or (mean is not None and mean >= t["min"])), None)
        lines.append({**row, "months_scored": len(scores), "mean": mean,
                      "tier": tier["code"] if tier and mean is not None else None,
                      "tier_label": tier["label"] if tier and mean is not None else None})
    lines.sort(key=lambda x: (x["township"] or "", x["grid"] or "", x["name"]))
    return {"year": year, "org_unit": unit.name, "locked_months": sorted({int(s.period[5:]) for s in locks}),
            "tiers": tiers, "lines": lines}


def _tiers(unit: OrgUnit, year: int) -> list[dict]:
    """The scoring plan's ``annual_tiers`` in force at the year's end, else the town template's."""
    plan = RuleBook().plan("scoring", unit.path, unit.level, "inspector", dt.date(year, 12, 31))
    return (plan.definition.get("annual_tiers") if plan else None) or ANNUAL_TIERS


def annual_file(unit: OrgUnit, year: int, actor: User | None = None) -> ExportFile:
    """The year's sheet: names and phones of everyone in it, so a person taking it away is kept in the log."""
    result = annual(unit, year)
    header = ["乡镇", "网格", "姓名", "手机号", *[f"{m}月" for m in range(1, 13)], "计分月数", "年度平均分", "等次"]
    rows = [[x["township"] or "", x["grid"] or "", x["name"], x["phone"],
             *[x["months"].get(m, "") if x["months"].get(m) is not None else "" for m in range(1, 13)],
             x["months_scored"], x["mean"] if x["mean"] is not None else "", x["tier_label"] or ""]
            for x in result["lines"]]
    months = "、".join(str(m) for m in result["locked_months"]) or "无"
    title = f"{unit.name} {year} 年度河湖巡查考核（已锁定月份：{months}）"
    body = workbook([(f"{year}年度考核", title, header, rows)])
    if actor is not None:
        audit.record(actor, "annual.exported", "export", f"annual:{unit.code}:{year}", scope_path=unit.path,
                     after={"lines": len(rows)})
    return ExportFile(f"annual-{unit.code}-{year}.xlsx", MIME, body, items=len(rows))
