"""A notification of a person's, for the authorization matrices (tests/test_authz.py, tests/test_console.py)."""
from sqlalchemy import select

from server.auth.models import User
from server.extensions import db
from server.notifications.inbox import Message, notify
from server.notifications.models import Notification
from server.transaction import unit_of_work


def note_of(user_id: int) -> int:
    """One notification of this person's (made once, committed)."""
    found = db.session.scalar(select(Notification.id).where(Notification.user_id == user_id).order_by(Notification.id))
    if found is None:
        with unit_of_work():
            [note] = notify([db.session.get(User, user_id)],
                            Message("case_assigned", "测试消息", "正文", f"t:{user_id}"))
        found = note.id
    return found


def note_of_phone(phone: str) -> int:
    return note_of(db.session.scalar(select(User.id).where(User.phone == phone)))
