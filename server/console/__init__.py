"""The web console (网页控制台) for supervisors and administrators: Flask + Jinja, Chinese first.

Signed in with a session cookie that names a device session (revoked like any other: an
admin's "sign out everywhere" reaches the console too); every form carries a CSRF token.
One blueprint (``access.bp``); each area of pages is a module on it.
"""
from __future__ import annotations

from .access import SessionInterface, bp, csrf


def init_app(app) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # the API uses bearer tokens; the console checks below
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the signed-in session
    # (Flask defines these keys, with SameSite unset: a setdefault would never apply)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    app.session_interface = SessionInterface()
    csrf.init_app(app)
    from . import assessment, audit, cards, cases, grids, inbox, people, rules, views  # noqa: F401  (their pages, on this blueprint)

    app.register_blueprint(bp)
