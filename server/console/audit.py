"""The audit log in the console: the county's administrator searches it by person or by object."""
from __future__ import annotations

from flask import g, render_template, request

from shared_models.enums import Role

from ..audit import service as audit
from ..auth.models import User
from ..auth.users import users_in_scope
from ..extensions import db
from .access import bp, signed_in


@bp.get("/audit")
@signed_in(Role.ADMIN)
def audit_log():
    args = {k: request.args.get(k, "").strip() for k in ("phone", "object_type", "object_id")}
    query, error = {}, None
    if args["object_type"] in audit.OBJECTS:
        query["object_type"] = args["object_type"]
    if args["object_id"]:
        query["object_id"] = args["object_id"][:64]
    if args["phone"]:
        person = db.session.scalar(users_in_scope(g.user).with_only_columns(User.id)
                                   .where(User.phone == args["phone"][:20]))
        if person is None:
            error = "没有这个手机号的人员"
        query["person_id"] = person if person is not None else -1
    entries = audit.search(g.user, **query)
    return render_template("console/audit.html", entries=entries, args=args, error=error, actions=audit.ACTIONS,
                           objects=audit.OBJECTS)
