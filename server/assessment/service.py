"""Monthly assessment: preview at any time, lock as an immutable snapshot, audited corrections after."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import or_, select

from shared_models.clock import local_day, utcnow

from ..audit import service as audit
from ..auth.models import User
from ..errors import ApiError, NotFound
from ..exports import ExportFile
from ..extensions import db
from ..grids.models import OrgUnit, path_codes
from ..patrols.models import Patrol
from ..rules.book import RuleBook
from ..rules.plans import METRICS
from ..schemas import DATE_MAX, DATE_MIN
from ..xlsx import CSV_MIME, MIME
from . import payroll
from .engine import evaluate, month_range, tallies
from .models import AssessmentCorrection, AssessmentLine, AssessmentLock
from .scoring import pay, score

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def check_period(period: str) -> tuple[dt.date, dt.date]:
    if not PERIOD.match(period) or not DATE_MIN.year <= int(period[:4]) <= DATE_MAX.year:
        raise ApiError("assessment.bad_period", 422, period=period)
    return month_range(period)


def assess(unit: OrgUnit, period: str, inspector_id: int | None = None) -> dict:
    """Every inspector holding a card under ``unit`` in the month: windows, metrics, score, pay, why."""
    first, last = check_period(period)
    book = RuleBook()
    frame = evaluate(unit.path, first, last, inspector_id=inspector_id, book=book)
    extra = tallies(unit.path, first, last, inspector_id)
    above = unit.ancestor_codes
    units = {u.code: u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.level == "township", or_(
        OrgUnit.path.startswith(unit.path, autoescape=True), OrgUnit.code.in_(above))))}
    month_days = (last - first).days + 1
    township_of: dict[str, OrgUnit | None] = {}
    lines, used = [], {"frequency": frame.rules_used, "scoring": {}, "pay": {}}
    for person in frame.inspectors.values():
        main = frame.holdings[person["holdings"][0]]
        if main["path"] not in township_of:
            codes = path_codes(main["path"])
            township_of[main["path"]] = next((units[c] for c in codes if c in units), None)
        township = township_of[main["path"]]
        windows = person["windows"]
        for w in windows:
            del w["_target"]
        required = sum(w["required"] for w in windows)
        counted = sum(min(w["counted"], w["required"]) for w in windows)
        held = int(person["held"].sum())
        metrics = {"required": required, "counted": counted,
                   "missed_windows": sum(1 for w in windows if not w["met"]),
                   "missed_patrols": sum(max(0, w["required"] - w["counted"]) for w in windows),
                   "completion_rate": round(counted / required, 4) if required else 1.0,
                   "patrol_days": int(person["days"].sum()), "distance_km": round(person["distance_m"] / 1000, 2),
                   "problems_reported": 0, "rejected_patrols": 0, "pending_review": 0, "held_days": held,
                   "problems_closed": 0, "cases_overdue": 0,
                   **extra.get(person["inspector_id"], {})}
        args = (main["path"], main["level"], main["role"], last)
        scoring_plan, pay_plan = book.plan("scoring", *args), book.plan("pay", *args)
        scored = score(scoring_plan.definition, metrics) if scoring_plan else None
        length = sum(frame.holdings[h]["length_m"] for h in person["holdings"])
        paid = pay(pay_plan.definition, scored, length, held / month_days) if pay_plan else None
        for kind, plan in (("scoring", scoring_plan), ("pay", pay_plan)):
            if plan is not None:
                used[kind][plan.id] = plan
        lines.append({
            "inspector_id": person["inspector_id"], "name": person["name"], "phone": person["phone"],
            "grid": main["grid_name"], "grid_id": main["grid_id"], "grid_path": main["path"],
            "township_id": township.id if township else None,
            "township": township.name if township else None, "cards": sorted({frame.holdings[h]["card_no"]
                                                                             for h in person["holdings"]}),
            "metrics": metrics, "metric_labels": {k: METRICS[k] for k in metrics}, "windows": windows,
            "scoring_plan": scoring_plan.name if scoring_plan else None, "score": scored["score"] if scored else None,
            "tier": scored["tier"] if scored else None, "tier_label": scored["tier_label"] if scored else None,
            "items": scored["items"] if scored else [], "veto": scored["veto"] if scored else None,
            "pay_plan": pay_plan.name if pay_plan else None, "amount_fen": paid["amount_fen"] if paid else 0,
            "pay_lines": paid["lines"] if paid else [], "dismissal": bool(paid and paid["dismissal"]),
            "dismissal_why": paid["dismissal_why"] if paid else None,
        })
    lines.sort(key=lambda x: (x["township"] or "", x["grid"], x["name"]))
    rules = {kind: [r.as_dict() for r in sorted(v.values(), key=lambda r: r.id)] for kind, v in used.items()}
    return {"period": period, "org_unit_id": unit.id, "lines": lines, "totals": totals(lines), "rules": rules}


def totals(lines: list[dict]) -> dict:
    by_town: dict[str, dict] = {}
    for line in lines:
        t = by_town.setdefault(line["township"] or "-", {"township": line["township"], "inspectors": 0,
                                                          "amount_fen": 0, "dismissal": 0})
        t["inspectors"] += 1
        t["amount_fen"] += line["amount_fen"]
        t["dismissal"] += int(line["dismissal"])
    return {"inspectors": len(lines), "amount_fen": sum(x["amount_fen"] for x in lines),
            "townships": sorted(by_town.values(), key=lambda t: t["township"] or "")}


# ---------------------------------------------------------------- locks and corrections
def lock_over(unit: OrgUnit, period: str) -> AssessmentLock | None:
    """The lock covering ``unit`` for ``period``: one set at the unit or any unit above it."""
    codes = unit.ancestor_codes
    return db.session.scalar(select(AssessmentLock).join(OrgUnit, OrgUnit.id == AssessmentLock.org_unit_id)
                             .where(AssessmentLock.period == period, OrgUnit.code.in_(codes)))


def lock(actor: User | None, unit: OrgUnit, period: str, now: dt.datetime | None = None) -> AssessmentLock:
    first, last = check_period(period)
    now = now or utcnow()
    if last >= local_day(now):
        raise ApiError("assessment.period_open", 409, period=period)
    if lock_over(unit, period) is not None or db.session.scalar(
            select(AssessmentLock.id).join(OrgUnit, OrgUnit.id == AssessmentLock.org_unit_id)
            .where(AssessmentLock.period == period, OrgUnit.path.startswith(unit.path, autoescape=True))):
        raise ApiError("assessment.locked", 409, period=period)
    result = assess(unit, period)
    snapshot = AssessmentLock(org_unit_id=unit.id, period=period, locked_at=now,
                              locked_by_id=actor.id if actor else None, rules=result["rules"], totals=result["totals"])
    db.session.add(snapshot)
    for line in result["lines"]:
        snapshot.lines.append(AssessmentLine(
            inspector_id=line["inspector_id"], township_id=line["township_id"], score=line["score"], tier=line["tier"],
            amount_fen=line["amount_fen"], dismissal=line["dismissal"], line=line))
    db.session.flush()
    audit.record(actor, "assessment.locked", "assessment", f"{unit.code}:{period}", scope_path=unit.path,
                 after={"lock_id": snapshot.id, "lines": len(result["lines"]), "totals": result["totals"]})
    return snapshot


def _audit(actor: User, action: str, correction: AssessmentCorrection, before, after, note: str) -> None:
    audit.record(actor, action, "correction", correction.id, scope_path=correction.lock.org_unit.path,
                 subject_id=correction.inspector_id, before=before, after=after, note=note)


def _summary(line: dict | None) -> dict:
    if line is None:
        return {"score": None, "tier": None, "amount_fen": 0, "dismissal": False}
    return {"score": line["score"], "tier": line["tier"], "amount_fen": line["amount_fen"],
            "dismissal": line["dismissal"], "counted": line["metrics"]["counted"]}


def effective_lines(snapshot: AssessmentLock) -> list[dict]:
    """The locked lines, each replaced by its latest applied correction (the snapshot rows never change)."""
    applied = {c.inspector_id: c for c in db.session.scalars(
        select(AssessmentCorrection).where(AssessmentCorrection.lock_id == snapshot.id,
                                           AssessmentCorrection.status == "applied")
        .order_by(AssessmentCorrection.decided_at, AssessmentCorrection.id))}
    out = []
    for row in snapshot.lines:
        line = dict(row.line)
        if row.inspector_id in applied:
            c = applied.pop(row.inspector_id)
            line = dict(c.after.get("line") or line)
            line.update({k: v for k, v in c.after.items() if k != "line"})
            line["corrected_by"] = c.id
        out.append(line)
    for c in applied.values():  # someone the lock did not have (e.g. their only patrol came late)
        out.append({**(c.after.get("line") or {}), "corrected_by": c.id})
    return out


def propose(patrol: Patrol, source: str, reason: str) -> AssessmentCorrection | None:
    """A late patrol or a review that touches a locked month: recompute that person, propose the change."""
    day = local_day(patrol.started_at)
    return propose_for(patrol.inspector_id, db.session.get(OrgUnit, patrol.grid_id), f"{day:%Y-%m}", source, reason,
                       patrol_id=patrol.id)


def propose_for(inspector_id: int, grid: OrgUnit, period: str, source: str, reason: str,
                patrol_id: int | None = None) -> AssessmentCorrection | None:
    """Recompute one person's locked month as it would be now and propose the difference (never apply it)."""
    snapshot = lock_over(grid, period)
    if snapshot is None:
        return None
    current = next((x for x in effective_lines(snapshot) if x.get("inspector_id") == inspector_id), None)
    fresh = next((x for x in assess(snapshot.org_unit, period, inspector_id=inspector_id)["lines"]), None)
    correction = AssessmentCorrection(
        lock_id=snapshot.id, inspector_id=inspector_id, source=source, status="proposed", patrol_id=patrol_id,
        reason=reason, before=_summary(current), after={**_summary(fresh), "line": fresh})
    db.session.add(correction)
    db.session.flush()
    return correction


def months_between(first: dt.date, last: dt.date) -> list[str]:
    out, day = [], first.replace(day=1)
    while day <= last:
        out.append(f"{day:%Y-%m}")
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


def decide(actor: User, correction: AssessmentCorrection, decision: str, note: str) -> AssessmentCorrection:
    if correction.status != "proposed":
        raise ApiError("assessment.correction_decided", 409, current=correction.status)
    correction.status = "applied" if decision == "apply" else "dismissed"
    correction.decided_by_id, correction.decided_at, correction.decision_note = actor.id, utcnow(), note
    db.session.flush()
    _audit(actor, "correction.decided", correction, {"status": "proposed"}, {"status": correction.status}, note)
    return correction


def manual(actor: User, snapshot: AssessmentLock, inspector_id: int, data: dict) -> AssessmentCorrection:
    """An admin's own correction: new score and/or amount with a reason, applied at once, kept for audit."""
    current = next((x for x in effective_lines(snapshot) if x.get("inspector_id") == inspector_id), None)
    if current is None:
        raise NotFound()
    after = _summary(current)
    for key in ("score", "amount_fen", "tier", "dismissal"):
        if data.get(key) is not None:
            after[key] = data[key]
    now = utcnow()
    correction = AssessmentCorrection(
        lock_id=snapshot.id, inspector_id=inspector_id, source="manual", status="applied", reason=data["reason"],
        author_id=actor.id, decided_by_id=actor.id, decided_at=now, created_at=now, before=_summary(current),
        after={**after, "line": {**current, **{k: after[k] for k in ("score", "amount_fen", "tier", "dismissal")}}})
    db.session.add(correction)
    db.session.flush()
    _audit(actor, "correction.manual", correction, correction.before, after, data["reason"])
    return correction


def view(unit: OrgUnit, period: str) -> dict:
    """What a month looks like for ``unit``: the locked snapshot (with corrections) or a live preview."""
    snapshot = lock_over(unit, period)
    if snapshot is None:
        return {**assess(unit, period), "status": "preview", "org_unit": unit.name, "locked_at": None}
    lines = [x for x in effective_lines(snapshot) if (x.get("grid_path") or "").startswith(unit.path)]
    return {"period": period, "org_unit_id": unit.id, "org_unit": unit.name, "status": "locked",
            "locked_at": snapshot.locked_at, "lock_id": snapshot.id, "lines": lines, "totals": totals(lines),
            "rules": snapshot.rules}


def payroll_file(unit: OrgUnit, period: str, fmt: str = "xlsx", result: dict | None = None) -> ExportFile:
    """The payroll (补贴发放表) of ``period``: Chinese headers, township totals; a preview until locked
    (``result``: the month's view, when the caller has it already)."""
    result = result or view(unit, period)
    locked = result["status"] == "locked"
    title = f"{unit.name} {period} 河湖巡查员补贴发放表（{'已锁定' if locked else '预览-未锁定'}）"
    body = (payroll.to_xlsx if fmt == "xlsx" else payroll.to_csv)(title, result["lines"], result["totals"])
    return ExportFile(f"payroll-{unit.code}-{period}{'' if locked else '-preview'}.{fmt}",
                      MIME if fmt == "xlsx" else CSV_MIME, body, items=len(result["lines"]))


def payroll_for(actor: User, unit: OrgUnit, period: str, fmt: str) -> ExportFile:
    """The payroll for a person who takes it away: names, phones and pay of everyone in it, so kept in the log."""
    made = payroll_file(unit, period, fmt)
    audit.record(actor, "payroll.exported", "export", f"payroll:{unit.code}:{period}", scope_path=unit.path,
                 after={"format": fmt, "lines": made.items})
    return made

