"""The daily reminders (cron, once a day in the morning: ``riverpatrol notifications daily``): each open case whose
deadline is the next working day (Asia/Shanghai, on its grid's calendar) tells its assignee, and each card holder
whose patrol window ends tomorrow with patrols still to do is told how many. Each once: run twice, nobody hears
twice (the message's key is the case and its deadline, the card and its window)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select

from shared_models.clock import local_today

from ..assessment.compliance import compliance
from ..cards.models import ResponsibilityCard
from ..cases.calendar import add_working_days
from ..cases.models import Case
from ..cases.workflow import WORKING
from ..extensions import db
from . import messages
from .inbox import notify, notify_unit, staff_of

LOOK_AHEAD_DAYS = 12  # the next working day may be this far off (the National Day week and its weekends)


def deadlines_tomorrow(today: dt.date) -> int:
    """Cases being worked on whose deadline is the next working day: their assignee, the unit's staff and group."""
    told, next_day = 0, {}
    cases = db.session.scalars(select(Case).where(
        Case.status.in_(WORKING), Case.deadline > today, Case.deadline <= today + dt.timedelta(days=LOOK_AHEAD_DAYS))
        .order_by(Case.id)).all()
    for case in cases:
        path = case.grid.path
        if path not in next_day:
            next_day[path] = add_working_days(today, 1, path)
        if case.deadline != next_day[path]:
            continue
        msg = messages.deadline_tomorrow(case)
        told += len(notify([case.assignee, *staff_of(case.assignee_unit_id)], msg))
        notify_unit(case.assignee_unit, msg)
    return told


def windows_closing(today: dt.date) -> int:
    """Card holders whose window ends tomorrow with patrols remaining (the assessment's own count)."""
    told = 0
    cards = db.session.scalars(select(ResponsibilityCard).where(
        ResponsibilityCard.valid_from <= today,
        or_(ResponsibilityCard.valid_to.is_(None), ResponsibilityCard.valid_to >= today))
        .order_by(ResponsibilityCard.id)).all()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    for card in cards:
        done = compliance(card, today)
        if done is None or not done["active"] or done["remaining"] <= 0 or done["window_end"] != tomorrow:
            continue
        told += len(notify([card.inspector], messages.window_closing(card, done)))
    return told


def run(today: dt.date | None = None) -> dict:
    today = today or local_today()
    return {"day": today.isoformat(), "deadline_tomorrow": deadlines_tomorrow(today),
            "window_closing": windows_closing(today)}
