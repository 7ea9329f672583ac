from __future__ import annotations

import datetime as dt
from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
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

from shared_models.clock import LOCAL_TZ, local_today
from shared_models.enums import Role

from ..auth import service as auth_service
from ..auth.models import DeviceSession
from ..auth.schemas import LoginSchema
from ..errors import ApiError
from ..extensions import db
from ..patrols import service as patrols
from ..patrols.models import Patrol
from . import data, forms

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
csrf = CSRFProtect()
MANAGERS = (Role.SUPERVISOR, Role.ADMIN)


class SessionInterface(SecureCookieSessionInterface):
    """The console's cookie: Secure whenever the request came over TLS (nginx's X-Forwarded-Proto,
    read by ProxyFix in wsgi.py), or always with SESSION_COOKIE_SECURE; a plain-http server (a
    laptop, or an intranet without TLS) can still sign in."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def init_app(app) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # the API uses bearer tokens; the console checks below
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the signed-in session
    # (Flask defines these keys, with SameSite unset: a setdefault would never apply)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    app.session_interface = SessionInterface()
    csrf.init_app(app)
    from . import assessment, cards, cases, grids, people, rules  # noqa: F401  (their pages, on this blueprint)

    app.register_blueprint(bp)


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
            if roles and g.user.role not in roles:
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


@bp.get("/static/leaflet/<path:name>")
def leaflet_static(name: str):
    """Leaflet from the xstatic-leaflet package: no CDN, works on an intranet."""
    return send_from_directory(leaflet.BASE_DIR, name, max_age=86400)


@bp.route("/login", methods=["GET", "POST"])
def login():
    done = forms.Outcome()
    if request.method == "POST":
        def sign_in():
            form = forms.load(LoginSchema(), request.form)  # the API's limits (a longer phone was a 500 on PostGIS)
            return auth_service.login(form["phone"], form["password"], device_id=f"console-{request.remote_addr}",
                                      device_name="网页控制台", address=request.remote_addr or "")

        done = forms.attempt(sign_in)
        if done.error is None:
            issued = done.value
            if issued.session.user.role not in MANAGERS:
                auth_service.revoke(issued.session)
                done = forms.Outcome(error="网页控制台供网格长和管理员使用，巡查员请使用手机App", status=401)
            else:
                session.clear()
                session["sid"] = issued.session.id
                target = request.args.get("next") or ""
                return redirect(target if target.startswith("/console/") else url_for("console.dashboard"))
    return render_template("console/login.html", error=done.error), done.status


@bp.post("/logout")
def logout():
    sid = session.get("sid")
    device = db.session.get(DeviceSession, sid) if sid else None
    if device is not None and device.revoked_at is None:
        auth_service.revoke(device)
    session.clear()
    return redirect(url_for("console.login"))


@bp.get("/")
@signed_in(*MANAGERS)
def dashboard():
    """Each inspector in the current window: compliance light, last patrol, open flags, overdue cases."""
    rows = data.dashboard(g.user, local_today())
    return render_template("console/dashboard.html", rows=rows, today=local_today())


@bp.get("/patrols")
@signed_in(*MANAGERS)
def queue():
    """Flagged patrols waiting for a decision, oldest first: the review queue."""
    waiting = db.session.scalars(patrols.patrols_in_scope(g.user).where(
        Patrol.flagged.is_(True), Patrol.review_status.is_(None)).order_by(Patrol.started_at).limit(200)).all()
    return render_template("console/queue.html", patrols=waiting)


@bp.get("/patrols/<uuid:patrol_uuid>")
@signed_in(*MANAGERS)
def patrol(patrol_uuid):
    p = _patrol_or_404(str(patrol_uuid))
    return render_template("console/patrol.html", p=p, map_data=data.patrol_map(p),
                           next_uuid=data.next_in_queue(g.user, p), tiles=current_app.config.get("CONSOLE_TILES"))


def _patrol_or_404(uuid: str) -> Patrol:
    p = db.session.scalar(patrols.patrols_in_scope(g.user).where(Patrol.uuid == uuid))
    if p is None:
        abort(404)
    return p


@bp.post("/patrols/<uuid:patrol_uuid>/review")
@signed_in(*MANAGERS)
def review(patrol_uuid):
    from ..patrols.schemas import ReviewSchema

    p = _patrol_or_404(str(patrol_uuid))
    outcome = forms.attempt(lambda: patrols.review(g.user, p.uuid, **forms.load(ReviewSchema(), request.form)),
                            labels={"decision": "审核结论", "note": "说明"})
    if outcome.error:
        return render_template("console/patrol.html", p=p, map_data=data.patrol_map(p),
                               next_uuid=data.next_in_queue(g.user, p), error=outcome.error,
                               tiles=current_app.config.get("CONSOLE_TILES")), outcome.status
    nxt = data.next_in_queue(g.user, p)
    return redirect(url_for("console.patrol", patrol_uuid=nxt) if nxt else url_for("console.queue"))


# ---------------------------------------------------------------- photos (cases, assessment, cards, people, rules
# and grids have their own modules, on this blueprint)
@bp.get("/photos/<uuid:photo_uuid>/<any(thumbnail, image):size>")
@signed_in(*MANAGERS)
def photo(photo_uuid, size):
    from ..photos import service as photos

    try:
        found = photos.visible_photo(g.user, str(photo_uuid))
    except ApiError:
        abort(404)
    if found.status != "complete":
        abort(404)
    return photos.send(found, size)


# ---------------------------------------------------------------- administrators: grids and cards
@bp.route("/grids/import", methods=["GET", "POST"])
@signed_in(Role.ADMIN)
def grid_import():
    """Import grids or segments from a file: a preview first (nothing written), then the import."""
    from ..grids import uploads

    result, error, token, kind = None, None, None, request.form.get("kind", "grids")
    if request.method == "POST":
        if kind not in uploads.KINDS:
            abort(400)
        try:
            if request.form.get("token"):
                result = uploads.confirm(g.user, kind, request.form["token"])
                return render_template("console/import.html", result=result, done=True, kind=kind)
            upload = request.files.get("file")
            result, token = uploads.preview(g.user, kind, upload and upload.filename, upload and upload.read())
        except uploads.UnknownPreview:
            abort(400)
        except ApiError as exc:
            error = {"items": exc.errors or [], "count": exc.extra.get("error_count", len(exc.errors or []))}
    return render_template("console/import.html", result=result, error=error, token=token, kind=kind,
                           done=False), 422 if error else 200


# ---------------------------------------------------------------- exports and the spot-check sample
@bp.get("/patrols/<uuid:patrol_uuid>/track.<any(gpx, geojson, kml):fmt>")
@signed_in(*MANAGERS)
def track_file(patrol_uuid, fmt):
    import json

    from flask import Response

    from shared_models.track import codec

    from ..patrols import export

    p = _patrol_or_404(str(patrol_uuid))
    track = codec.decode(p.track)
    name = f"巡河 {p.started_at:%Y-%m-%d} {p.inspector.name}"
    if fmt == "gpx":
        body, mime = export.to_gpx(name, track.lon, track.lat, track.t, track.altitude), "application/gpx+xml"
    elif fmt == "kml":
        body, mime = export.to_kml(name, track.lon, track.lat, track.t), "application/vnd.google-earth.kml+xml"
    else:
        body = json.dumps(export.to_geojson({"uuid": p.uuid, "inspector": p.inspector.name}, track.lon, track.lat,
                                            track.t), ensure_ascii=False)
        mime = "application/geo+json"
    return Response(body, mimetype=mime,
                    headers={"Content-Disposition": f'attachment; filename="patrol-{p.uuid}.{fmt}"'})
