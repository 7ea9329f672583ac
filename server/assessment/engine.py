"""The assessment engine: compliance per window, monthly scores and pay for a whole scope at once.

A handful of set-based queries per period (holdings, their segments, the counted patrols,
review and problem tallies, leave, warnings), then numpy arrays over (unit x day): no query
and no rule lookup per inspector. The same code answers the phone's "本周 已巡 0/1 次" (one
inspector, the current window) and a province's month (every inspector, every window).

Decisions (README "Assessment"):
- a patrol counts in the window of the Asia/Shanghai day it *started*;
- a window is assessed in the month its last day falls in, under the rules in force on the
  last day of the period being assessed; rolling-N rules tile the month from its first day;
- a card handed over mid-month, leave and exemptions all work the same way: a window's
  requirement is scaled by the share of its days the person held the card and was not on
  leave, rounded up (ceil(min_count x available / days)); none available, nothing required;
- pay is scaled by the share of the month's days held and not on leave;
- warnings raise a window's requirement when they cover any of its days; the strictest
  override that applies wins.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from sqlalchemy import and_, func, or_, select

from shared_models.clock import local_midnight
from shared_models.windows import KIND_LABELS, Window, window_of

from ..auth.models import User
from ..cards.models import ResponsibilityCard, card_segments
from ..cases.models import Problem
from ..extensions import db
from ..grids.models import OrgUnit, River, RiverSegment
from ..patrols.models import Patrol, patrol_segments
from ..rules.book import LEVEL_LABELS, WARNING_TYPES, RuleBook
from ..rules.models import Exemption, FrequencyRule, RiverWarning

# counted: valid, and either never flagged and never reviewed, or cleared by a supervisor; rejected: never
COUNTED = and_(Patrol.valid.is_(True), or_(Patrol.review_status == "cleared",
                                           and_(Patrol.flagged.is_(False), Patrol.review_status.is_(None))))


def month_range(period: str) -> tuple[dt.date, dt.date]:
    """'2026-11' -> (1 Nov, 30 Nov), both inclusive."""
    first = dt.date.fromisoformat(period + "-01")
    nxt = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def local_day_sql(column):
    """The Asia/Shanghai date of a UTC instant, in SQL (no DST in China since 1991: +8 on SQLite)."""
    if db.engine.dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Shanghai", column))
    return func.date(column, "+8 hours")


def windows_in(rule: FrequencyRule, first: dt.date, last: dt.date) -> list[Window]:
    """The rule's windows whose last day falls within [first, last]."""
    if rule.window == "rolling":
        n, out, start = rule.rolling_days or 7, [], first
        while start <= last:
            out.append(Window(start, min(start + dt.timedelta(days=n), last + dt.timedelta(days=1))))
            start += dt.timedelta(days=n)
        return out
    out, day = [], first
    while day <= last:
        w = window_of(rule.window, day)
        if w.end - dt.timedelta(days=1) <= last:
            out.append(w)
        day = w.end
    return out


@lru_cache(maxsize=4096)
def window_label(kind: str, w: Window) -> str:
    last = w.end - dt.timedelta(days=1)
    if w.days == 1:
        return f"{w.start:%m-%d}"
    return f"{w.start:%m-%d}~{last:%m-%d}" + (f"({KIND_LABELS[kind]})" if kind in KIND_LABELS else "")


# ---------------------------------------------------------------- the frame
@dataclass
class Unit:
    """What one requirement is counted on: a holding (person x card), or one river/segment of it."""
    holding: int
    target: int | None  # river or segment id for per-river / per-segment rules
    target_name: str | None


@dataclass
class Frame:
    first: dt.date
    last: dt.date
    holdings: list[dict] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    windows: list[dict] = field(default_factory=list)  # per (unit, window): required, counted, why
    rules_used: dict = field(default_factory=dict)
    inspectors: dict[int, dict] = field(default_factory=dict)


def evaluate(scope_path: str, first: dt.date, last: dt.date, *, inspector_id: int | None = None,
             window_pick=None, as_of: dt.date | None = None, book: RuleBook | None = None) -> Frame:
    """Requirements and counts per unit and window for everyone in scope holding a card in [first, last].

    ``window_pick(rule)`` gives the windows to judge (default: those ending in [first, last]).
    """
    as_of = as_of or last
    book = book or RuleBook()
    pick = window_pick or (lambda rule: windows_in(rule, first, last))
    frame = Frame(first, last)

    # Q1: who held which card, where (every version overlapping the period and its look-back)
    held = (select(ResponsibilityCard.id, ResponsibilityCard.card_no, ResponsibilityCard.inspector_id,
                   ResponsibilityCard.valid_from, ResponsibilityCard.valid_to, ResponsibilityCard.grid_id,
                   OrgUnit.path, OrgUnit.level, OrgUnit.name, ResponsibilityCard.duty.label("role"), User.name,
                   User.phone)
            .join(OrgUnit, OrgUnit.id == ResponsibilityCard.grid_id)
            .join(User, User.id == ResponsibilityCard.inspector_id)
            .where(OrgUnit.path.startswith(scope_path, autoescape=True), ResponsibilityCard.valid_from <= last,
                   or_(ResponsibilityCard.valid_to.is_(None), ResponsibilityCard.valid_to >= first - dt.timedelta(366)))
            .order_by(ResponsibilityCard.inspector_id, ResponsibilityCard.card_no, ResponsibilityCard.version))
    if inspector_id is not None:
        held = held.where(ResponsibilityCard.inspector_id == inspector_id)
    versions = db.session.connection().execute(held).all()
    if not versions:
        return frame

    rules: dict[tuple, FrequencyRule | None] = {}
    key_index: dict[tuple[int, str], int] = {}
    for v in versions:  # the latest version of each (person, card) describes the holding
        key = (v.inspector_id, v.card_no)
        rule = rules.setdefault((v.path, v.level, v.role), book.rule(v.path, v.level, v.role, as_of))
        if key not in key_index:
            key_index[key] = len(frame.holdings)
            frame.holdings.append({"inspector_id": v.inspector_id, "card_no": v.card_no, "versions": []})
        frame.holdings[key_index[key]].update(
            card_id=v.id, grid_id=v.grid_id, path=v.path, level=v.level, grid_name=v.name, role=v.role,
            name=v[10], phone=v.phone, rule=rule)
        frame.holdings[key_index[key]]["versions"].append((v.valid_from, v.valid_to))

    # each rule's windows fix the look-back; the day axis runs from the earliest window start to ``last``
    rule_windows = {id(r): pick(r) for r in {id(h["rule"]): h["rule"] for h in frame.holdings
                                             if h["rule"] is not None}.values()}
    by_id = {id(h["rule"]): h["rule"] for h in frame.holdings if h["rule"] is not None}
    start = min([first] + [w.start for ws in rule_windows.values() for w in ws])
    end = max([last + dt.timedelta(days=1)] + [w.end for ws in rule_windows.values() for w in ws])
    max_gap = max([r.min_gap_hours or 0 for r in by_id.values()] + [0])
    n_days = (end - start).days
    h_count = len(frame.holdings)

    # availability: held and not on leave, per holding and day (difference arrays, no per-day loop)
    diff = np.zeros((h_count, n_days + 1), np.int32)
    vh, vf, vt = [], [], []
    for h, holding in enumerate(frame.holdings):
        for f, t in holding["versions"]:
            vh.append(h)
            vf.append(min(max((f - start).days, 0), n_days))
            vt.append(min(max(((t or end) - start).days + (1 if t else 0), 0), n_days))
    np.add.at(diff, (np.array(vh), np.array(vf)), 1)
    np.add.at(diff, (np.array(vh), np.array(vt)), -1)
    avail = np.cumsum(diff[:, :n_days], axis=1) > 0
    person_rows: dict[int, list[int]] = {}
    for h, holding in enumerate(frame.holdings):
        person_rows.setdefault(holding["inspector_id"], []).append(h)
    leave_q = select(Exemption).where(Exemption.date_from < end, Exemption.date_to >= start,
                                      Exemption.user_id.in_(list(person_rows)) if inspector_id is not None
                                      else Exemption.user_id.in_(select(ResponsibilityCard.inspector_id)))
    leaves = [e for e in db.session.scalars(leave_q) if e.user_id in person_rows]
    on_leave = np.zeros_like(avail)
    for e in leaves:  # leave entries are few (a county's handful a month)
        a, b = max((e.date_from - start).days, 0), min((e.date_to - start).days + 1, n_days)
        on_leave[person_rows[e.user_id], a:b] = True
    avail &= ~on_leave

    # Q2: segments and rivers on each holding's card
    seg_rows = db.session.connection().execute(
        select(card_segments.c.card_id, RiverSegment.id, RiverSegment.name, RiverSegment.river_id, River.name,
               RiverSegment.length_m)
        .join(RiverSegment, RiverSegment.id == card_segments.c.segment_id)
        .join(River, River.id == RiverSegment.river_id)
        .where(card_segments.c.card_id.in_([h["card_id"] for h in frame.holdings]) if inspector_id is not None
               else card_segments.c.card_id.in_(held.with_only_columns(ResponsibilityCard.id).order_by(None)))).all()
    by_card: dict[int, list] = {}
    for row in seg_rows:
        by_card.setdefault(row[0], []).append(row)
    for holding in frame.holdings:
        segs = by_card.get(holding["card_id"], [])
        holding["segments"] = {s[1]: s[2] for s in segs}
        holding["rivers"] = {s[3]: s[4] for s in segs}
        holding["length_m"] = float(sum(s[5] for s in segs))

    # units: per person, or per river / segment on the card
    unit_index: dict[tuple, int] = {}
    for h, holding in enumerate(frame.holdings):
        per = holding["rule"].count_per if holding["rule"] is not None else "person"
        targets = (holding["rivers"] if per == "river" else holding["segments"] if per == "segment" else {None: None})
        for target, name in targets.items():
            unit_index[(h, target)] = len(frame.units)
            frame.units.append(Unit(h, target, name))
    u_count = len(frame.units)
    unit_holding = np.array([u.holding for u in frame.units], np.int64)

    # Q3: every counted patrol of these holdings in the range, as columns
    lo = local_midnight(start) - dt.timedelta(hours=max_gap)
    in_range = [COUNTED, Patrol.started_at >= lo, Patrol.started_at < local_midnight(end)]
    pq = (select(Patrol.id, Patrol.card_id, local_day_sql(Patrol.started_at), Patrol.distance_m,
                 Patrol.for_user_id.is_not(None))
          .join(OrgUnit, OrgUnit.id == Patrol.grid_id)
          .where(*in_range, OrgUnit.path.startswith(scope_path, autoescape=True)))
    if inspector_id is not None:  # theirs, and those their assistant walked on their behalf (代巡)
        pq = pq.where(or_(Patrol.inspector_id == inspector_id, Patrol.for_user_id == inspector_id))
    rows = db.session.connection().execute(pq).all()
    counts = np.zeros((u_count, n_days), np.int32)
    dist = np.zeros(h_count)
    patrol_day = np.zeros((h_count, n_days), bool)
    first_ix = (first - start).days
    # the card version a patrol was judged under belongs to exactly one holding
    card_to_h = {v.id: key_index[(v.inspector_id, v.card_no)] for v in versions}
    card_ids = np.array(sorted(card_to_h), np.int64)
    h_of_card = np.array([card_to_h[c] for c in card_ids.tolist()], np.int64)
    simple_unit = np.full(h_count, -1, np.int64)  # per person, no gap rule: counted in bulk
    for h, holding in enumerate(frame.holdings):
        rule = holding["rule"]
        if rule is None or (rule.count_per == "person" and not rule.min_gap_hours):
            simple_unit[h] = unit_index[(h, None)]
    # a patrol walked on the holder's behalf (代巡) counts only where the holding's rule says so
    takes_delegated = np.array([bool(x["rule"] is not None and x["rule"].counts_delegated)
                                for x in frame.holdings] + [False])
    if rows:
        pid, cid, day, distance, delegated = zip(*rows, strict=True)
        pid, cid, distance = np.array(pid, np.int64), np.array(cid, np.int64), np.array(distance, float)
        d = (np.array(day, dtype="datetime64[D]") - np.datetime64(start, "D")).astype(np.int64)
        pos = np.clip(np.searchsorted(card_ids, cid), 0, len(card_ids) - 1)
        known = card_ids[pos] == cid
        h = np.where(known, h_of_card[pos], -1)
        known &= ~np.array(delegated, bool) | takes_delegated[h]
        keep = known & (d >= 0) & (d < n_days)
        bulk = keep & (simple_unit[np.maximum(h, 0)] >= 0)
        np.add.at(counts, (simple_unit[h[bulk]], d[bulk]), 1)
        month_rows = keep & (d >= first_ix)
        np.add.at(dist, h[month_rows], distance[month_rows])
        patrol_day[h[month_rows], d[month_rows]] = True
        rest = known & ~bulk & (d < n_days)
        if rest.any():
            _count_special(frame, unit_index, counts, pid[rest], h[rest], d[rest], (lo, local_midnight(end)))

    # warnings over the range: which units each covers (warnings are few; units vectorised)
    warns = db.session.scalars(select(RiverWarning).where(RiverWarning.valid_from < end,
                                                          RiverWarning.valid_to >= start)).all()
    unit_rivers = [frame.holdings[u.holding]["rivers"] for u in frame.units]
    unit_segs = [frame.holdings[u.holding]["segments"] for u in frame.units]
    warn_masks = []
    for w in warns:
        rivers, segs = set(w.river_ids or []), set(w.segment_ids or [])
        mask = np.array([
            (u.target in rivers or u.target in segs) if u.target is not None and
            frame.holdings[u.holding]["rule"].count_per != "person"
            else bool(rivers & unit_rivers[i].keys() or segs & unit_segs[i].keys())
            for i, u in enumerate(frame.units)], bool)
        warn_masks.append((w, mask))

    # per rule and window, for all its units at once
    unit_rule = [frame.holdings[u.holding]["rule"] for u in frame.units]
    for rid, windows in rule_windows.items():
        rule = by_id[rid]
        rows = np.array([i for i, r in enumerate(unit_rule) if r is rule], np.int64)
        if not len(rows):
            continue
        overrides = rule.overrides or []
        for w in windows:
            s, e = (w.start - start).days, (w.end - start).days
            c = counts[rows, s:e]
            counted = (c > 0).sum(1) if rule.count_mode == "days" else c.sum(1)
            available = avail[unit_holding[rows], s:e].sum(1)
            active = rule.active_months is None or (w.end - dt.timedelta(days=1)).month in rule.active_months
            need = np.full(len(rows), rule.min_count if active else 0)
            why_warn = np.full(len(rows), None, object)
            for warning, mask in warn_masks:
                if not (warning.valid_from < w.end and warning.valid_to >= w.start) or not active:
                    continue
                raised = max([o["min_count"] for o in overrides if o["level"] == warning.level and
                              o.get("warning_type") in (None, warning.warning_type)], default=0)
                hit = mask[rows] & (raised > need)
                need = np.where(hit, raised, need)
                why_warn[hit] = f"{WARNING_TYPES.get(warning.warning_type, warning.warning_type)}" \
                           f"{LEVEL_LABELS.get(warning.level, warning.level)}"
            required = np.ceil(need * available / w.days - 1e-9).astype(int).tolist()
            counted, available = counted.tolist(), available.tolist()
            label, w_start, w_end = window_label(rule.window, w), w.start.isoformat(), \
                (w.end - dt.timedelta(days=1)).isoformat()
            frame.rules_used[rule.id] = rule
            for k, u in enumerate(rows.tolist()):
                unit = frame.units[u]
                why = []
                if why_warn[k]:
                    why.append(f"{why_warn[k]}：要求提高到 {required[k]} 次")
                if available[k] < w.days:
                    why.append(f"在岗 {available[k]}/{w.days} 天，按比例要求 {required[k]} 次")
                if not active:
                    why.append("非巡河月份，无要求")
                frame.windows.append({
                    "card_no": frame.holdings[unit.holding]["card_no"], "rule": rule.name, "window": label,
                    "start": w_start, "end": w_end, "target": unit.target_name, "required": required[k],
                    "counted": counted[k], "met": counted[k] >= required[k], "active": active,
                    "warning": why_warn[k], "why": "；".join(why), "_holding": unit.holding,
                    "_target": unit.target})

    # per inspector: totals over windows, patrol days and distance in [first, last]
    month = slice(first_ix, first_ix + (last - first).days + 1)
    held_days = avail[:, month]
    for h, holding in enumerate(frame.holdings):
        p = frame.inspectors.setdefault(holding["inspector_id"], {
            "inspector_id": holding["inspector_id"], "name": holding["name"], "phone": holding["phone"],
            "holdings": [], "held": np.zeros(held_days.shape[1], bool), "days": np.zeros(held_days.shape[1], bool),
            "distance_m": 0.0, "windows": []})
        p["holdings"].append(h)
        p["held"] |= held_days[h]
        p["days"] |= patrol_day[h, month]
        p["distance_m"] += dist[h]
    for row in frame.windows:
        frame.inspectors[frame.holdings[row.pop("_holding")]["inspector_id"]]["windows"].append(row)
    return frame


def _chunks(values: list, size: int = 5000):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _count_special(frame: Frame, unit_index: dict, counts: np.ndarray, pids: np.ndarray, hs: np.ndarray,
                   ds: np.ndarray, span: tuple[dt.datetime, dt.datetime]) -> None:
    """Patrols of holdings counted per river/segment, or under a minimum gap: one pass in time order.

    ``span`` is the range the patrols were found in: on PostGIS it keeps the lookup by id
    to the range's monthly partitions instead of every month ever kept."""
    ids = pids.tolist()
    times, targets = {}, {}
    for part in _chunks(ids):
        for p, started, ended in db.session.connection().execute(
                select(Patrol.id, Patrol.started_at, Patrol.ended_at).where(
                    Patrol.id.in_(part), Patrol.started_at >= span[0], Patrol.started_at < span[1])):
            times[p] = (started, ended)
        for p, seg, river in db.session.connection().execute(
                select(patrol_segments.c.patrol_id, RiverSegment.id, RiverSegment.river_id)
                .join(RiverSegment, RiverSegment.id == patrol_segments.c.segment_id)
                .where(patrol_segments.c.patrol_id.in_(part))):
            targets.setdefault(p, []).append((seg, river))
    last_end: dict[int, dt.datetime] = {}
    order = sorted(range(len(ids)), key=lambda i: times[ids[i]][0])
    for i in order:  # the minimum gap is sequential by nature
        p, h, d = ids[i], int(hs[i]), int(ds[i])
        rule = frame.holdings[h]["rule"]
        if rule.count_per == "person":
            units = [unit_index[(h, None)]]
        else:
            ts = {seg if rule.count_per == "segment" else river for seg, river in targets.get(p, [])}
            units = [unit_index[(h, t)] for t in ts if (h, t) in unit_index]
        started, ended = times[p]
        for u in units:
            if rule.min_gap_hours:
                if u in last_end and started < last_end[u] + dt.timedelta(hours=rule.min_gap_hours):
                    continue  # too soon after the last counted patrol (e.g. Akqi's 96 h)
                last_end[u] = ended
            if d >= 0:
                counts[u, d] += 1


# ---------------------------------------------------------------- the phone's view of one card
def card_compliance(card: ResponsibilityCard, today: dt.date) -> dict | None:
    """The window holding ``today`` for this card's holder: required, counted, remaining, next due."""
    book = RuleBook()
    rule = book.rule(card.grid.path, card.grid.level, card.duty, today)
    if rule is None:
        return None
    window = window_of(rule.window, today, rule.rolling_days or 7)
    frame = evaluate(card.grid.path, window.start, window.end - dt.timedelta(days=1), inspector_id=card.inspector_id,
                     window_pick=lambda r: [window], as_of=today, book=book)
    rows = [r for r in frame.windows if r["card_no"] == card.card_no]
    required = sum(r["required"] for r in rows)
    counted = sum(r["counted"] for r in rows)
    remaining = sum(max(0, r["required"] - r["counted"]) for r in rows)
    return {"rule": rule, "window": window, "required": required, "counted": counted, "remaining": remaining,
            "active": rows[0]["active"] if rows else True,
            "warning": next((r["warning"] for r in rows if r["warning"]), None),
            "per": [{"target": r["target"], "required": r["required"], "counted": r["counted"]}
                    for r in rows if r["_target"] is not None]}


def last_counted_end(card: ResponsibilityCard, before: dt.datetime) -> dt.datetime | None:
    return db.session.scalar(select(func.max(Patrol.ended_at)).join(
        ResponsibilityCard, ResponsibilityCard.id == Patrol.card_id).where(
        COUNTED, ResponsibilityCard.card_no == card.card_no,
        or_(Patrol.inspector_id == card.inspector_id, Patrol.for_user_id == card.inspector_id),
        Patrol.started_at < before))


def tallies(scope_path: str, first: dt.date, last: dt.date, inspector_id: int | None = None) -> dict[int, dict]:
    """Q4/Q5: rejected and pending patrols, problems reported, per person in the month."""
    lo, hi = local_midnight(first), local_midnight(last + dt.timedelta(days=1))
    in_scope = OrgUnit.path.startswith(scope_path, autoescape=True)
    out: dict[int, dict] = {}
    q = (select(Patrol.inspector_id,
                func.sum(func.cast(Patrol.review_status == "rejected", db.Integer)),
                func.sum(func.cast(and_(Patrol.flagged.is_(True), Patrol.review_status.is_(None)), db.Integer)))
         .join(OrgUnit, OrgUnit.id == Patrol.grid_id)
         .where(in_scope, Patrol.started_at >= lo, Patrol.started_at < hi).group_by(Patrol.inspector_id))
    if inspector_id is not None:
        q = q.where(Patrol.inspector_id == inspector_id)
    for who, rejected, pending in db.session.execute(q):
        out.setdefault(who, {})
        out[who].update(rejected_patrols=int(rejected or 0), pending_review=int(pending or 0))
    q = (select(Problem.reporter_id, func.count()).join(OrgUnit, OrgUnit.id == Problem.grid_id)
         .where(in_scope, Problem.reported_at >= lo, Problem.reported_at < hi).group_by(Problem.reporter_id))
    if inspector_id is not None:
        q = q.where(Problem.reporter_id == inspector_id)
    for who, n in db.session.execute(q):
        out.setdefault(who, {})["problems_reported"] = int(n)
    # the case workflow's events: problems found and closed (销号), cases one had to fix that went overdue (督办)
    from ..cases.models import Case, CaseEvent

    q = (select(Problem.reporter_id, func.count()).join(Case, Case.problem_id == Problem.id)
         .join(OrgUnit, OrgUnit.id == Case.grid_id)
         .where(in_scope, Case.closed_at >= lo, Case.closed_at < hi).group_by(Problem.reporter_id))
    if inspector_id is not None:
        q = q.where(Problem.reporter_id == inspector_id)
    for who, n in db.session.execute(q):
        out.setdefault(who, {})["problems_closed"] = int(n)
    q = (select(Case.assignee_id, func.count(func.distinct(Case.id))).join(CaseEvent, CaseEvent.case_id == Case.id)
         .join(OrgUnit, OrgUnit.id == Case.grid_id)
         .where(in_scope, CaseEvent.action == "escalate", CaseEvent.at >= lo, CaseEvent.at < hi,
                Case.assignee_id.is_not(None)).group_by(Case.assignee_id))
    if inspector_id is not None:
        q = q.where(Case.assignee_id == inspector_id)
    for who, n in db.session.execute(q):
        out.setdefault(who, {})["cases_overdue"] = int(n)
    return out

