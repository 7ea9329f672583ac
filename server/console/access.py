"""Who may see a console page: the blueprint, its session cookie and CSRF, the signed-in user and the
roles a page needs; the error pages and the time filter every template uses."""
from __future__ import annotations

import datetime as dt
from functools import wraps

from flask import (
    Blueprint,
    abort,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from xstatic.pkg import leaflet

from shared_models.clock import LOCAL_TZ
from shared_models.enums import Role

from ..auth import service as auth_service

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
csrf = CSRFProtect()
MANAGERS = (Role.SUPERVISOR, Role.ADMIN)
CONSOLE_USERS = (*MANAGERS, Role.DEPARTMENT)  # a department's staff see their unit's cases here


class SessionInterface(SecureCookieSessionInterface):
    """The console's cookie: Secure whenever the request came over TLS (nginx's X-Forwarded-Proto,
    read by ProxyFix in wsgi.py), or always with SESSION_COOKIE_SECURE; a plain-http server (a
    laptop, or an intranet without TLS) can still sign in."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


@bp.after_request
def _not_framed(response):
    """No console page inside another site's frame (clickjacking a review or a lock button)."""
    csp = response.headers.get("Content-Security-Policy")
    if not csp or "frame-ancestors" not in csp:
        response.headers["Content-Security-Policy"] = f"{csp}; frame-ancestors 'none'" if csp else \
            "frame-ancestors 'none'"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


@bp.before_request
def _guard():
    if request.method == "POST":
        csrf.protect()  # a form without its token is refused (400) before anything happens
    g.user = auth_service.session_user(session.get("sid"))
    if g.user is None and "sid" in session:
        session.clear()


def signed_in(*roles: Role):
    def decorator(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            if g.user is None:
                return redirect(url_for("console.login", next=request.path))
            if roles and not g.user.holds(*roles):
                abort(403)
            return fn(*args, **kwargs)
        return wrapper
    return decorator


ERROR_PAGES = {400: ("请求无效或页面已过期，请刷新后重试", "Bad or expired request: reload the page"),
               403: ("您没有权限查看此页面", "You may not see this page"),
               404: ("未找到该页面或记录", "Not found")}


def _error_page(exc):
    code = getattr(exc, "code", 500) or 500
    zh, en = ERROR_PAGES.get(code, ("服务器内部错误", "Internal error"))
    return render_template("console/error.html", code=code, zh=zh, en=en), code


for _code in ERROR_PAGES:
    bp.register_error_handler(_code, _error_page)


@bp.app_template_filter("local")
def local_time(value: dt.datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    return value.astimezone(LOCAL_TZ).strftime(fmt) if value else "—"


@bp.app_template_filter("flag_label")
def flag_label(code: str) -> str:
    from .data import flag_label as label

    return label(code)


@bp.app_template_filter("mode")
def travel_mode(value: str | None) -> str:
    """How a patrol or a stretch was travelled, in words (骑自行车)."""
    from shared_models.track.travel import MODE_LABELS

    return MODE_LABELS.get(value or "", "—")


@bp.get("/static/leaflet/<path:name>")
def leaflet_static(name: str):
    """Leaflet from the xstatic-leaflet package: no CDN, works on an intranet."""
    return send_from_directory(leaflet.BASE_DIR, name, max_age=86400)


