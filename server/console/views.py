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
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select
from xstatic.pkg import leaflet

from shared_models.enums import Role
from shared_models.periods import LOCAL_TZ, local_today

from ..auth import service as auth_service
from ..auth.models import DeviceSession, User
from ..errors import ApiError
from ..extensions import db
from ..grids.models import OrgUnit
from ..patrols import service as patrols
from ..patrols.models import Patrol
from ..schemas import DB_INT_MAX
from . import data


def _id(value) -> int:
    """A form's id field: a whole number the database can hold, else ValueError (an unfilled form)."""
    n = int(value or 0)
    if not 0 <= n <= DB_INT_MAX:
        raise ValueError(value)
    return n


bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
csrf = CSRFProtect()
MANAGERS = (Role.SUPERVISOR, Role.ADMIN)


def init_app(app) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # the API uses bearer tokens; the console checks below
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the signed-in session
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    csrf.init_app(app)
    app.register_blueprint(bp)


@bp.before_request
def _guard():
    if request.method == "POST":
        csrf.protect()  # a form without its token is refused (400) before anything happens
    g.user = None
    sid = session.get("sid")
    if sid:
        device = db.session.get(DeviceSession, sid)
        try:
            if device is None:
                raise ApiError("auth.token_revoked", 401)
            auth_service._check_session(device)
        except ApiError:
            session.clear()
        else:
            g.user = device.user


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
    error = None
    if request.method == "POST":
        try:
            issued = auth_service.login(request.form.get("phone", ""), request.form.get("password", ""),
                                        device_id=f"console-{request.remote_addr}", device_name="网页控制台",
                                        address=request.remote_addr or "")
        except ApiError as exc:
            error = exc.message[0] if exc.message else _message(exc.code)
        else:
            if issued.session.user.role not in MANAGERS:
                auth_service.revoke(issued.session)
                error = "网页控制台供网格长和管理员使用，巡查员请使用手机App"
            else:
                session.clear()
                session["sid"] = issued.session.id
                target = request.args.get("next") or ""
                return redirect(target if target.startswith("/console/") else url_for("console.dashboard"))
    return render_template("console/login.html", error=error), 401 if error else 200


def _message(code: str) -> str:
    from shared_models.errors import message

    return message(code)[0]


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
    decision, note = request.form.get("decision", ""), request.form.get("note", "")
    p = _patrol_or_404(str(patrol_uuid))
    if decision not in ("clear", "reject"):
        abort(400)
    try:
        patrols.review(g.user, p.uuid, decision, note)
    except ApiError as exc:
        return render_template("console/patrol.html", p=p, map_data=data.patrol_map(p),
                               next_uuid=data.next_in_queue(g.user, p), error=str(exc.errors or exc.code),
                               tiles=current_app.config.get("CONSOLE_TILES")), exc.status
    nxt = data.next_in_queue(g.user, p)
    return redirect(url_for("console.patrol", patrol_uuid=nxt) if nxt else url_for("console.queue"))



# ---------------------------------------------------------------- photos, cases, assessment
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


@bp.get("/cases")
@signed_in(*MANAGERS)
def cases():
    """The case board: open cases by state, the overdue first, then by deadline."""
    from ..cases import service as case_service
    from ..cases.workflow import OPEN, STATUS_LABELS

    found = case_service.search(g.user, {"limit": 1000})
    mine = [c for c in found if c.grid.path.startswith(g.user.org_unit.path)]
    columns = [(s, STATUS_LABELS[s], sorted([c for c in mine if c.status == s],
                                            key=lambda c: (not c.overdue, c.deadline or dt.date.max)))
               for s in OPEN]
    done = [c for c in mine if c.status not in OPEN][:50]
    return render_template("console/cases.html", columns=columns, done=done, labels=STATUS_LABELS)


@bp.route("/cases/<case_no>", methods=["GET", "POST"])
@signed_in(*MANAGERS)
def case(case_no):
    from ..cases import service as case_service
    from ..cases import workflow

    try:
        found = case_service.get_case(g.user, case_no)
    except ApiError:
        abort(404)
    if workflow.MANAGER not in workflow.roles_of(g.user, found):
        abort(404)
    error = None
    if request.method == "POST":
        form = {k: v for k, v in request.form.items() if k != "csrf_token" and v != ""}
        for key in ("assignee_id", "assignee_unit_id", "rechecker_id"):
            if key in form:
                form[key] = int(form[key]) if form[key].isdigit() and int(form[key]) <= DB_INT_MAX else -1
        if form.get("action") not in workflow.STEPS:
            abort(400)
        try:
            workflow.transition(g.user, found, form)
            return redirect(url_for("console.case", case_no=case_no))
        except ApiError as exc:
            db.session.rollback()
            error = "；".join(str(v) for v in (exc.errors or {}).values()) or _message(exc.code)
            found = case_service.get_case(g.user, case_no)
    roles = workflow.roles_of(g.user, found)
    actions = [a for a, step in workflow.STEPS.items() if found.status in step.sources and roles & set(step.who)]
    from ..cases.routes import _problem

    people = db.session.scalars(select(User).where(User.org_unit_id.in_(
        select(OrgUnit.id).where(OrgUnit.path.startswith(g.user.org_unit.path, autoescape=True))),
        User.active.is_(True)).order_by(User.role, User.name)).all()
    return render_template("console/case.html", case=found, problem=_problem(found), actions=actions,
                           labels=workflow.ACTION_LABELS, status_labels=workflow.STATUS_LABELS, people=people,
                           error=error), 422 if error else 200


@bp.get("/assessment")
@signed_in(*MANAGERS)
def assessment():
    """The month: every inspector's score and pay, with each window and item on demand."""
    from ..assessment import service as assessment_service

    last_month = (local_today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    period = request.args.get("period") or last_month
    try:
        result = assessment_service.view(g.user.org_unit, period)
    except ApiError:
        abort(400)
    return render_template("console/assessment.html", result=result, period=period)


@bp.post("/assessment/lock")
@signed_in(Role.ADMIN)
def lock_month():
    from ..assessment import service as assessment_service

    period = request.form.get("period", "")
    try:
        assessment_service.lock(g.user, g.user.org_unit, period)
    except ApiError as exc:
        return render_template("console/error.html", code=exc.status, zh=exc.message[0] if exc.message else
                               _message(exc.code), en=exc.code), exc.status
    return redirect(url_for("console.assessment", period=period))


@bp.get("/assessment/payroll.<any(csv, xlsx):fmt>")
@signed_in(Role.ADMIN)
def payroll_file(fmt):
    from flask import Response

    from ..assessment import payroll
    from ..assessment import service as assessment_service
    from ..xlsx import MIME

    period = request.args.get("period", "")
    try:
        result = assessment_service.view(g.user.org_unit, period)
    except ApiError:
        abort(400)
    state = "已锁定" if result["status"] == "locked" else "预览-未锁定"
    title = f"{g.user.org_unit.name} {period} 河湖巡查员补贴发放表（{state}）"
    body = (payroll.to_xlsx if fmt == "xlsx" else payroll.to_csv)(title, result["lines"], result["totals"])
    return Response(body, mimetype=MIME if fmt == "xlsx" else "text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="payroll-{g.user.org_unit.code}-{period}.{fmt}"'})


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


@bp.route("/cards", methods=["GET", "POST"])
@signed_in(*MANAGERS)
def cards():
    """Cards in scope with their printable PDF; administrators issue new ones here."""
    from ..cards import service as card_service
    from ..cards.models import ResponsibilityCard
    from ..grids.models import RiverSegment

    error = None
    if request.method == "POST":
        if g.user.role != Role.ADMIN:
            abort(403)
        form = request.form
        try:
            data = {"inspector_id": _id(form.get("inspector_id")), "grid_id": _id(form.get("grid_id")),
                    "segment_ids": [_id(v) for v in form.getlist("segment_ids")],
                    "valid_from": dt.date.fromisoformat(form.get("valid_from") or ""),
                    "duties": [d.strip() for d in form.get("duties", "").splitlines() if d.strip()],
                    "reason": form.get("reason", "")}
            card = card_service.issue_card(g.user, data)
            return redirect(url_for("console.cards", issued=card.id))
        except ValueError:
            error = "请完整填写 / fill in every field"
        except ApiError as exc:
            db.session.rollback()
            error = "；".join(str(v) for v in (exc.errors or {}).values()) or _message(exc.code)
    found = db.session.scalars(card_service.cards_in_scope(g.user).order_by(ResponsibilityCard.id.desc())
                               .limit(300)).all()
    under = select(OrgUnit.id).where(OrgUnit.path.startswith(g.user.org_unit.path, autoescape=True))
    people = db.session.scalars(select(User).where(User.role == Role.INSPECTOR, User.active.is_(True),
                                                   User.org_unit_id.in_(under)).order_by(User.name)).all()
    grids = db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(under), OrgUnit.level == "village")
                               .order_by(OrgUnit.code)).all()
    segments = db.session.scalars(select(RiverSegment).where(RiverSegment.grid_id.in_(under))
                                  .order_by(RiverSegment.code)).all()
    return render_template("console/cards.html", cards=found, people=people, grids=grids, segments=segments,
                           error=error, issued=request.args.get("issued", type=int),
                           today=local_today()), 422 if error else 200


@bp.get("/cards/<int:card_id>.pdf")
@signed_in(*MANAGERS)
def card_pdf(card_id):
    from flask import Response

    from ..cards import service as card_service
    from ..cards.models import ResponsibilityCard
    from ..cards.pdf import card_pdf as render
    from ..cards.routes import rule_text_for

    card = db.session.scalar(card_service.cards_in_scope(g.user).where(ResponsibilityCard.id == card_id))
    if card is None:
        abort(404)
    return Response(render(card, rule_text_for(card)), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="card-{card.card_no}-v{card.version}.pdf"'})


# ---------------------------------------------------------------- administrators: people
@bp.route("/users", methods=["GET", "POST"])
@signed_in(*MANAGERS)
def users():
    """People in scope; administrators add people, reset passwords, deactivate (nobody is deleted)."""
    from ..auth import users as people

    error = None
    if request.method == "POST":
        if g.user.role != Role.ADMIN:
            abort(403)
        f = request.form
        try:
            people.create_user(g.user, phone=f.get("phone", "").strip(), name=f.get("name", "").strip(),
                               role=f.get("role", "inspector"), org_unit_id=_id(f.get("org_unit_id")),
                               password=f.get("password", ""))
            return redirect(url_for("console.users"))
        except ValueError:
            error = "请完整填写 / fill in every field"
        except ApiError as exc:
            db.session.rollback()
            error = "；".join(str(v) for v in (exc.errors or {}).values()) or _message(exc.code)
        if not error and (len(f.get("password", "")) < 8 or not f.get("name")):
            error = "姓名必填，密码至少 8 位 / name required, password of 8 or more"
    found = db.session.scalars(people.users_in_scope(g.user)).all()
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.path.startswith(g.user.org_unit.path, autoescape=True))
                               .order_by(OrgUnit.path)).all()
    return render_template("console/users.html", users=found, units=units, error=error), 422 if error else 200


@bp.post("/users/<int:user_id>/<any(password, active):what>")
@signed_in(Role.ADMIN)
def user_change(user_id, what):
    from ..auth import users as people

    person = db.session.scalar(people.users_in_scope(g.user).where(User.id == user_id))
    if person is None:
        abort(404)
    try:
        if what == "password":
            people.reset_password(g.user, person, request.form.get("password", ""))
        else:
            people.set_active(g.user, person, request.form.get("active") == "1")
    except ApiError as exc:
        db.session.rollback()
        return render_template("console/error.html", code=422, zh="；".join(str(v) for v in (exc.errors or {})
                                                                           .values()), en=exc.code), 422
    return redirect(url_for("console.users"))


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


@bp.get("/ledger.xlsx")
@signed_in(*MANAGERS)
def ledger_file():
    from flask import Response

    from ..cases import service as case_service
    from ..xlsx import MIME

    rows = case_service.ledger_rows(g.user.org_unit, None, None)
    body = case_service.ledger_xlsx(f"{g.user.org_unit.name} 问题台账", rows,
                                    case_service.ledger_events([r[0] for r in rows]))
    return Response(body, mimetype=MIME,
                    headers={"Content-Disposition": f'attachment; filename="ledger-{g.user.org_unit.code}.xlsx"'})


@bp.get("/spotcheck")
@signed_in(*MANAGERS)
def spotcheck():
    """The month's random spot-check (抽查) of valid patrols: the same sample on every visit."""
    last_month = (local_today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    period = request.args.get("period") or last_month
    try:
        sample, total = data.spot_check(g.user, period)
    except ValueError:
        abort(400)
    return render_template("console/spotcheck.html", sample=sample, total=total, period=period)


# ---------------------------------------------------------------- administrators: rules with a preview
@bp.route("/rules", methods=["GET", "POST"])
@signed_in(*MANAGERS)
def rules():
    """Frequency rules over the caller's unit; an admin drafts a new one and sees what it would have
    changed on last month's data before saving it."""
    from marshmallow import ValidationError

    from ..rules import service as rule_service
    from ..rules.models import FrequencyRule, Plan
    from ..rules.routes import FrequencyRuleSchema

    last_month = (local_today().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    error, preview, draft = None, None, dict(request.form) if request.method == "POST" else {}
    if request.method == "POST":
        if g.user.role != Role.ADMIN:
            abort(403)
        raw = {k: v for k, v in request.form.items() if k not in ("csrf_token", "save") and v != ""}
        raw.setdefault("org_unit_id", str(g.user.org_unit_id))
        if "active_months" in raw:
            raw["active_months"] = [int(m) for m in raw["active_months"].replace("，", ",").split(",") if m.strip()]
        try:
            data = FrequencyRuleSchema().load(raw)
            if "save" in request.form:
                # the new rule takes over from the one at the same scope from its first day
                for old in _same_scope(data):
                    if old.valid_from < data["valid_from"]:
                        rule_service.change_rule(g.user, FrequencyRule, old.id,
                                                 {"valid_to": data["valid_from"] - dt.timedelta(days=1)})
                rule_service.create_rule(g.user, data)
                return redirect(url_for("console.rules"))
            preview = data_preview(g.user, data, last_month)
        except ValidationError as exc:
            error = "；".join(f"{k}: {v}" for k, v in exc.messages.items())
        except ApiError as exc:
            db.session.rollback()
            error = "；".join(str(v) for v in (exc.errors or {}).values()) or _message(exc.code)
    found = db.session.scalars(rule_service.rules_in_scope(g.user, FrequencyRule, inherited=True)).all()
    plans = db.session.scalars(rule_service.rules_in_scope(g.user, Plan, inherited=True)).all()
    return render_template("console/rules.html", rules=found, plans=plans, error=error, preview=preview,
                           draft=draft, period=last_month), 422 if error else 200


def _same_scope(data: dict) -> list:
    """Rules at the drafted rule's scope (unit, role, level) still running on or after its first day."""
    from sqlalchemy import or_

    from ..rules.models import FrequencyRule

    level = FrequencyRule.grid_level.is_(None) if data.get("grid_level") is None else \
        FrequencyRule.grid_level == data["grid_level"]
    return list(db.session.scalars(select(FrequencyRule).where(
        FrequencyRule.org_unit_id == data["org_unit_id"], FrequencyRule.role == data.get("role", "inspector"), level,
        or_(FrequencyRule.valid_to.is_(None), FrequencyRule.valid_to >= data["valid_from"]))))


def data_preview(user, rule_data: dict, period: str) -> dict:
    """Last month assessed as it was and as it would be with the drafted rule (never saved)."""
    from ..assessment.service import assess
    from ..rules import service as rule_service

    before = {x["inspector_id"]: x for x in assess(user.org_unit, period)["lines"]}
    savepoint = db.session.begin_nested()
    try:
        draft = dict(rule_data)
        draft["valid_from"] = min(draft["valid_from"], dt.date.fromisoformat(period + "-01"))
        draft["valid_to"] = None
        for old in _same_scope(draft):  # as if it had replaced them for that month
            old.valid_to = draft["valid_from"] - dt.timedelta(days=1)
            if old.valid_to < old.valid_from:
                db.session.delete(old)
        db.session.flush()
        rule_service.create_rule(user, draft, commit=False)
        after = {x["inspector_id"]: x for x in assess(user.org_unit, period)["lines"]}
    finally:
        savepoint.rollback()
    rows = []
    for who, new in after.items():
        old = before.get(who)
        if old is None:
            continue
        changed = (old["metrics"]["required"], old["score"], old["amount_fen"]) != (
            new["metrics"]["required"], new["score"], new["amount_fen"])
        rows.append({"name": new["name"], "phone": new["phone"], "changed": changed,
                     "required": (old["metrics"]["required"], new["metrics"]["required"]),
                     "score": (old["score"], new["score"]), "amount": (old["amount_fen"], new["amount_fen"])})
    rows.sort(key=lambda r: (not r["changed"], r["name"]))
    return {"rows": rows, "changed": sum(r["changed"] for r in rows),
            "amount": (sum(r["amount"][0] for r in rows), sum(r["amount"][1] for r in rows))}


@bp.post("/cards/<int:card_id>/<any(handover, end):what>")
@signed_in(Role.ADMIN)
def card_change(card_id, what):
    """Hand a card over to another inspector from a date, or end it (a person leaves)."""
    from ..cards import service as card_service

    f = request.form
    try:
        day = dt.date.fromisoformat(f.get("date") or "")
        taker = _id(f.get("inspector_id")) if what == "handover" else None
    except ValueError:
        return redirect(url_for("console.cards", error="date"))
    try:
        if what == "handover":
            card_service.revise_card(g.user, card_id, {"effective_from": day,
                                                       "inspector_id": taker,
                                                       "reason": f.get("reason") or "交接"})
        else:
            card_service.end_card(g.user, card_id, day, f.get("reason") or "终止")
    except ApiError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        zh = "；".join(str(v) for v in (exc.errors or {}).values()) if isinstance(exc.errors, dict) else ""
        return render_template("console/error.html", code=exc.status,
                               zh=zh or (exc.message[0] if exc.message else _message(exc.code)),
                               en=exc.code), exc.status
    return redirect(url_for("console.cards"))


@bp.route("/grids", methods=["GET", "POST"])
@signed_in(*MANAGERS)
def grids():
    """Grids and segments in scope; administrators correct names (codes and shapes come by import)."""
    from ..grids.models import RiverSegment

    under = select(OrgUnit.id).where(OrgUnit.path.startswith(g.user.org_unit.path, autoescape=True))
    if request.method == "POST":
        if g.user.role != Role.ADMIN:
            abort(403)
        kind, name = request.form.get("kind"), (request.form.get("name") or "").strip()
        model = {"grid": OrgUnit, "segment": RiverSegment}.get(kind)
        ident = request.form.get("id", type=int)
        row = db.session.scalar(select(model).where(model.id == ident, (model.id if model is OrgUnit
                                                                         else model.grid_id).in_(under))) \
            if model else None
        if row is None:
            abort(404)
        if not name or len(name) > 100:
            return render_template("console/error.html", code=422, zh="名称不能为空，且不超过 100 字",
                                   en="a name of 1 to 100 characters"), 422
        row.name = name
        db.session.commit()
        return redirect(url_for("console.grids"))
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(under)).order_by(OrgUnit.path)).all()
    segments = db.session.scalars(select(RiverSegment).where(RiverSegment.grid_id.in_(under))
                                  .order_by(RiverSegment.code)).all()
    return render_template("console/grids.html", units=units, segments=segments)
