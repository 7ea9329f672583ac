"""The signed-in person's inbox (消息) in the console: their own notifications, newest first, each linked to what
it is about, marked read one by one or all at once; the menu shows how many are unread."""
from __future__ import annotations

from flask import abort, g, redirect, render_template, url_for

from ..errors import ApiError
from ..notifications import inbox
from ..notifications.preferences import KINDS
from .access import CONSOLE_USERS, bp, signed_in

PAGE = 100


@bp.context_processor
def _unread():
    """For the menu: asked only where the menu is drawn (a signed-in page)."""
    return {"inbox_unread": lambda: inbox.unread_count(g.user) if g.get("user") is not None else 0}


def _link(note) -> str | None:
    if note.target_type == "case":
        return url_for("console.case", case_no=note.target_id)
    if note.target_type == "patrol" and g.user.holds("supervisor", "admin"):
        return url_for("console.patrol", patrol_uuid=note.target_id)
    return None


@bp.get("/inbox")
@signed_in(*CONSOLE_USERS)
def inbox_page():
    shown = inbox.page(g.user, PAGE)
    return render_template("console/inbox.html", notes=shown["items"], unread=shown["unread"], kinds=KINDS,
                           link=_link, document=inbox.console_path)


@bp.post("/inbox/<int:notification_id>/read")
@signed_in(*CONSOLE_USERS)
def inbox_read(notification_id):
    try:
        inbox.mark_read(g.user, notification_id)
    except ApiError:  # another person's: not found, as an unknown one
        abort(404)
    return redirect(url_for("console.inbox_page"))


@bp.post("/inbox/read-all")
@signed_in(*CONSOLE_USERS)
def inbox_read_all():
    inbox.mark_all_read(g.user)
    return redirect(url_for("console.inbox_page"))
