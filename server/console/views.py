"""The console's sign-in, dashboard and patrol review (the other areas have their own modules on the
same blueprint, wired in ``server/console/__init__.py``)."""
from __future__ import annotations

from flask import abort, current_app, g, redirect, render_template, request, session, url_for

from shared_models.clock import local_today

from ..auth import service as auth_service
from ..auth.models import DeviceSession
from ..auth.schemas import LoginSchema
from ..errors import ApiError
from ..extensions import db
from ..patrols import service as patrols
from ..patrols.models import Patrol
from ..transaction import unit_of_work
from . import data, forms
from .access import CONSOLE_USERS, MANAGERS, bp, signed_in


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
            if not issued.session.user.holds(*CONSOLE_USERS):
                with unit_of_work():
                    auth_service.revoke(issued.session)
                done = forms.Outcome(error="网页控制台供网格长、管理员和责任单位使用，巡查员请使用手机App", status=401)
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
        with unit_of_work():
            auth_service.revoke(device)
    session.clear()
    return redirect(url_for("console.login"))


@bp.get("/")
@signed_in(*CONSOLE_USERS)
def dashboard():
    """Each inspector in the current window: compliance light, last patrol, open flags, overdue cases (a
    department's staff start at their cases)."""
    if not g.user.holds(*MANAGERS):
        return redirect(url_for("console.cases"))
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
    p = _patrol_or_404(str(patrol_uuid), look="track.viewed")
    return render_template("console/patrol.html", p=p, map_data=data.patrol_map(p), decisions=patrols.history(p),
                           next_uuid=data.next_in_queue(g.user, p), tiles=current_app.config.get("CONSOLE_TILES"))


def _patrol_or_404(uuid: str, look: str | None = None, note: str = "") -> Patrol:
    """The patrol in the user's scope; with ``look``, the look at its track is kept (audit log)."""
    try:
        if look is None:
            return patrols.get(g.user, uuid)
        with unit_of_work():
            return patrols.look(g.user, uuid, look, note=note)
    except ApiError:
        abort(404)


@bp.post("/patrols/<uuid:patrol_uuid>/review")
@signed_in(*MANAGERS)
def review(patrol_uuid):
    from ..patrols.schemas import ReviewSchema

    p = _patrol_or_404(str(patrol_uuid))
    outcome = forms.attempt(lambda: patrols.review(g.user, p.uuid, **forms.load(ReviewSchema(), request.form)),
                            labels={"decision": "审核结论", "note": "说明"})
    if outcome.error:
        return render_template("console/patrol.html", p=p, map_data=data.patrol_map(p), decisions=patrols.history(p),
                               next_uuid=data.next_in_queue(g.user, p), error=outcome.error,
                               tiles=current_app.config.get("CONSOLE_TILES")), outcome.status
    nxt = data.next_in_queue(g.user, p)
    return redirect(url_for("console.patrol", patrol_uuid=nxt) if nxt else url_for("console.queue"))


# ---------------------------------------------------------------- photos (cases, assessment, cards, people, rules
# and grids have their own modules, on this blueprint)
@bp.get("/photos/<uuid:photo_uuid>/<any(thumbnail, image):size>")
@signed_in(*CONSOLE_USERS)
def photo(photo_uuid, size):
    from ..photos import service as photos

    try:
        with unit_of_work():
            found = photos.look(g.user, str(photo_uuid), size)
    except ApiError:
        abort(404)
    return photos.send(found, size)


@bp.get("/voice-notes/<uuid:note_uuid>")
@signed_in(*CONSOLE_USERS)
def voice_note(note_uuid):
    from ..voicenotes import service as voice

    try:
        found = voice.visible_note(g.user, str(note_uuid))
        return voice.send(found)
    except ApiError:
        abort(404)


# ---------------------------------------------------------------- exports and the spot-check sample
@bp.get("/patrols/<uuid:patrol_uuid>/track.<any(gpx, geojson, kml):fmt>")
@signed_in(*MANAGERS)
def track_file(patrol_uuid, fmt):
    from ..patrols.export import track_file as made

    return made(_patrol_or_404(str(patrol_uuid), look="track.exported", note=fmt), fmt).response()
