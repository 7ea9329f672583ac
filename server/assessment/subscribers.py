"""The assessment listens: a patrol, a review, a card change or a leave dated into a locked month
becomes a proposed correction of that month (never a rewrite of what was paid). A new cause of a
correction is one more subscriber here, not an edit in the domain it comes from."""
from __future__ import annotations

from shared_models.clock import local_today

from ..auth.models import User
from ..cards.events import card_changed
from ..extensions import db
from ..patrols.events import patrol_received, patrol_reviewed
from ..rules.events import exemption_added
from .service import months_between, propose, propose_for


@patrol_received.connect
def late_patrol(patrol, **_) -> None:
    propose(patrol, "late_patrol", "锁定后同步的巡河记录 / a patrol synced after the month was locked")


@patrol_reviewed.connect
def reviewed(patrol, decision: str, note: str, **_) -> None:
    propose(patrol, "review", f"审核{'通过' if decision == 'clear' else '驳回'}：{note}".rstrip("："))


@card_changed.connect
def card(card, from_day, people: list[int], reason: str, **_) -> None:
    for period in months_between(from_day, local_today()):
        for person in dict.fromkeys(people):
            propose_for(person, card.grid, period, "card", reason)


@exemption_added.connect
def leave(exemption, **_) -> None:
    person = db.session.get(User, exemption.user_id)
    for period in months_between(exemption.date_from, exemption.date_to):  # leave entered after a lock
        propose_for(person.id, person.org_unit, period, "exemption",
                    f"锁定后登记的请假/免巡：{exemption.reason} / leave entered after the lock")
