"""The ``riverpatrol`` command: serve, db (Flask-Migrate), demo data, imports."""
from __future__ import annotations

import json
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from .errors import ApiError


def _create_app(*_args) -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """RiverPatrol 河巡 server."""


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Serve the API (threaded HTTP server). Without RIVERPATROL_SECRET_KEY only on loopback."""
    from werkzeug.serving import run_simple

    from .config import is_loopback, missing_secret

    if current_app.config["SECRET_KEY_IS_DEFAULT"] and not is_loopback(host):
        raise click.ClickException(missing_secret(f"serve --host {host}"))

    click.echo(f"RiverPatrol serving on http://{host}:{port}  (API: /api/v1/openapi.json)")
    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)


def _fail(exc: ApiError) -> None:
    from .errors import error_body

    click.echo(json.dumps(error_body(exc.code, exc.errors), ensure_ascii=False, indent=2), err=True)
    sys.exit(1)


def _read_json(fh) -> object:
    try:
        return json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        click.echo(f"文件不是有效的 JSON / the file is not valid JSON: {exc}", err=True)
        sys.exit(1)


@main.group("import")
def import_group() -> None:
    """Import grids and river segments from GeoJSON (all or nothing)."""


@import_group.command("grids")
@click.argument("path", type=click.File("rb"))
@click.option("--repair", is_flag=True, help="Fix invalid polygons with make_valid.")
@with_appcontext
def import_grids(path, repair: bool) -> None:
    from .grids.importer import import_grids as run

    try:
        result = run(_read_json(path), actor=None, levels=current_app.config["ORG_LEVELS"], repair=repair)
    except ApiError as exc:
        _fail(exc)
    click.echo(json.dumps(result, ensure_ascii=False))


@import_group.command("segments")
@click.argument("path", type=click.File("rb"))
@with_appcontext
def import_segments(path) -> None:
    from .grids.importer import import_segments as run

    try:
        result = run(_read_json(path), actor=None)
    except ApiError as exc:
        _fail(exc)
    click.echo(json.dumps(result, ensure_ascii=False))


@main.group("demo")
def demo_group() -> None:
    """The demo county (未央区 in Xi'an, with real rivers)."""


@demo_group.command("load")
@with_appcontext
def demo_load() -> None:
    """Load the demo county unless it is there already."""
    from .demo import load_demo

    created = load_demo()
    click.echo("demo county loaded / 演示数据已加载" if created else "demo county already present / 演示数据已存在")


@demo_group.command("accounts")
@with_appcontext
def demo_accounts() -> None:
    """Print the demo accounts."""
    from .demo import demo_accounts as accounts

    click.echo("演示账号 Demo accounts (角色 role, 手机号 phone, 密码 password, 姓名 name, 网格 grid):")
    for role, phone, name, unit, password in accounts():
        click.echo(f"  {role:<10} {phone}  {password}  {name}  {unit}")


RULE_KINDS = ("frequency", "validity", "plans")


def _rule_kind(kind: str):
    from .rules import routes
    from .rules.models import FrequencyRule, Plan, ValidityRuleConfig

    return {"frequency": (FrequencyRule, routes.FrequencyRuleSchema), "validity": (
        ValidityRuleConfig, routes.ValidityRuleSchema), "plans": (Plan, routes.PlanSchema)}[kind]


def _unit_by_code(code: str):
    from sqlalchemy import select

    from .extensions import db
    from .grids.models import OrgUnit

    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))
    if unit is None:
        click.echo(f"没有编码为 {code} 的网格 / no org unit with code {code}", err=True)
        sys.exit(1)
    return unit


@main.group("rules")
def rules_group() -> None:
    """Patrol rules, scoring and pay plans (as the admin API, for the county's own scripts)."""


@rules_group.command("add")
@click.argument("kind", type=click.Choice(RULE_KINDS))
@click.argument("path", type=click.File("rb"))
@with_appcontext
def rules_add(kind: str, path) -> None:
    """Add a rule from JSON (a list adds several, all or nothing); org_unit may be given as org_unit_code."""
    from marshmallow import ValidationError

    from .extensions import db
    from .rules.service import create_rule

    model, schema = _rule_kind(kind)
    doc = _read_json(path)
    made = []
    try:
        for item in doc if isinstance(doc, list) else [doc]:
            item = dict(item)
            if "org_unit_code" in item:
                item["org_unit_id"] = _unit_by_code(item.pop("org_unit_code")).id
            data = schema().load(item)
            made.append(create_rule(None, data, model=model, commit=False))
        db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        _fail(ApiError("validation_error", 422, errors=exc.messages))
    except ApiError as exc:
        db.session.rollback()
        _fail(exc)
    click.echo(json.dumps([{"id": r.id, "name": r.name} for r in made], ensure_ascii=False))


@rules_group.command("list")
@click.argument("kind", type=click.Choice(RULE_KINDS))
@with_appcontext
def rules_list(kind: str) -> None:
    """Every rule of a kind, one JSON object per line."""
    from sqlalchemy import select

    from .extensions import db

    model, schema = _rule_kind(kind)
    for rule in db.session.scalars(select(model).order_by(model.id)):
        click.echo(json.dumps(schema().dump(rule), ensure_ascii=False))


@main.group("assess")
def assess_group() -> None:
    """Monthly assessment: preview, lock, payroll."""


@assess_group.command("preview")
@click.argument("period")
@click.option("--unit", "unit_code", required=True, help="Org unit code (e.g. the county's).")
@with_appcontext
def assess_preview(period: str, unit_code: str) -> None:
    """Print each inspector's score and pay for PERIOD (YYYY-MM) with the reasons, as JSON."""
    from .assessment.service import view

    try:
        result = view(_unit_by_code(unit_code), period)
    except ApiError as exc:
        _fail(exc)
    click.echo(json.dumps(result, ensure_ascii=False, default=str))


@assess_group.command("lock")
@click.argument("period")
@click.option("--unit", "unit_code", required=True)
@with_appcontext
def assess_lock(period: str, unit_code: str) -> None:
    """Lock PERIOD for the unit: an immutable snapshot; later changes only as audited corrections."""
    from .assessment.service import lock

    try:
        snapshot = lock(None, _unit_by_code(unit_code), period)
    except ApiError as exc:
        _fail(exc)
    click.echo(json.dumps({"lock_id": snapshot.id, "period": period, **snapshot.totals}, ensure_ascii=False))


@assess_group.command("payroll")
@click.argument("period")
@click.option("--unit", "unit_code", required=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="xlsx", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@with_appcontext
def assess_payroll(period: str, unit_code: str, fmt: str, output: str) -> None:
    """Write the payroll (补贴发放表) of PERIOD with Chinese headers and township totals."""
    from pathlib import Path

    from .assessment import payroll
    from .assessment.service import view

    unit = _unit_by_code(unit_code)
    try:
        result = view(unit, period)
    except ApiError as exc:
        _fail(exc)
    state = "已锁定" if result["status"] == "locked" else "预览-未锁定"
    title = f"{unit.name} {period} 河湖巡查员补贴发放表（{state}）"
    body = (payroll.to_xlsx if fmt == "xlsx" else payroll.to_csv)(title, result["lines"], result["totals"])
    Path(output).write_bytes(body)
    click.echo(f"{output}: {len(result['lines'])} 人 inspectors, {result['totals']['amount_fen'] / 100:.2f} 元")


@main.group("cases")
def cases_group() -> None:
    """Problem cases: the daily overdue run (督办) and the ledger (问题台账)."""


@cases_group.command("escalate")
@click.option("--unit", "unit_code", help="Only this org unit (default: every county).")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="As of this Asia/Shanghai day (default today).")
@with_appcontext
def cases_escalate(unit_code: str | None, day) -> None:
    """Move overdue cases up their county's escalation steps; run it daily (cron)."""
    from .cases.workflow import escalate_overdue

    path = _unit_by_code(unit_code).path if unit_code else "/"
    events = escalate_overdue(today=day.date() if day else None, scope_path=path)
    for event in events:
        click.echo(json.dumps({"case_no": event.case.case_no, "level": event.evidence["level"], "step": event.note,
                               "overdue_working_days": event.evidence["overdue_working_days"]}, ensure_ascii=False))
    click.echo(f"{len(events)} 件督办 escalated", err=True)


@cases_group.command("ledger")
@click.option("--unit", "unit_code", required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]))
@with_appcontext
def cases_ledger(unit_code: str, output: str, first, last) -> None:
    """Write the ledger (问题台账) of the unit's cases, with every step, as XLSX."""
    from pathlib import Path

    from .cases import service

    unit = _unit_by_code(unit_code)
    rows = service.ledger_rows(unit, first.date() if first else None, last.date() if last else None)
    Path(output).write_bytes(service.ledger_xlsx(f"{unit.name} 问题台账", rows,
                                                 service.ledger_events([r[0] for r in rows])))
    click.echo(f"{output}: {len(rows)} 件 cases")


@main.group("backup")
def backup_group() -> None:
    """Backup and restore of the database and photos (备份与恢复); see docs/operations.md."""


def _backup_fail(exc) -> None:
    click.echo(str(exc), err=True)
    sys.exit(1)


def _backup_summary(manifest: dict) -> str:
    rows = sum(manifest["tables"].values())
    size = manifest.get("photos_total_bytes", 0) / 1e6
    return (f"{manifest['engine']}, 迁移版本 revision {manifest['alembic_revision']}, "
            f"{len(manifest['tables'])} 表 tables / {rows} 行 rows, {len(manifest['photos'])} 个照片文件 photo files "
            f"({size:.1f} MB), 创建于 created {manifest['created_at']}, 版本 app {manifest['app_version']}")


@backup_group.command("create")
@click.argument("dest", type=click.Path(file_okay=True, dir_okay=True))
@with_appcontext
def backup_create(dest: str) -> None:
    """Back up the database (first) and the photos into DEST: a new directory, or a .tar/.tar.gz/.tgz archive."""
    from . import backup

    try:
        manifest = backup.create(dest, database_url=current_app.config["SQLALCHEMY_DATABASE_URI"],
                                 photo_dir=current_app.config["PHOTO_DIR"],
                                 photo_storage=current_app.config.get("PHOTO_STORAGE", "fs"))
    except backup.BackupError as exc:
        _backup_fail(exc)
    click.echo(f"备份完成 / backup written: {dest}\n  {_backup_summary(manifest)}")
    if manifest["skipped"]["partial_uploads"]:
        click.echo(f"  未完成的上传未备份 / unfinished uploads not backed up: {manifest['skipped']['partial_uploads']}")
    if manifest["photo_storage"] != "fs":
        click.echo(f"  照片在对象存储中，未复制；清单记录了 {len(manifest['photo_records'])} 张照片的 sha256 / photos "
                   "are in the bucket and were not copied (use its versioning, replication or aws s3 sync); "
                   "the manifest lists every finished photo's sha256")
    if manifest["missing_photo_files"]:
        click.echo(f"警告：数据库中的照片缺少文件 / warning: photos of the database without their file in PHOTO_DIR: "
                   f"{', '.join(manifest['missing_photo_files'])}", err=True)


@backup_group.command("restore")
@click.argument("archive", type=click.Path(exists=True))
@click.option("--database-url", help="Target database (default: the configured one); must be empty.")
@click.option("--photo-dir", type=click.Path(file_okay=False), help="Target photo directory (default: PHOTO_DIR).")
@click.option("--force", is_flag=True, help="Replace a non-empty target (the old photo directory is kept aside).")
@with_appcontext
def backup_restore(archive: str, database_url: str | None, photo_dir: str | None, force: bool) -> None:
    """Restore ARCHIVE into an empty database and photo directory, then check rows and photos against it."""
    from . import backup

    try:
        result = backup.restore(archive, database_url=database_url or current_app.config["SQLALCHEMY_DATABASE_URI"],
                                photo_dir=photo_dir or current_app.config["PHOTO_DIR"], force=force)
    except backup.BackupError as exc:
        _backup_fail(exc)
    done = result["restore"]
    click.echo(f"恢复完成并已核对 / restored and verified: {done['database']}, {done['photo_dir']}\n"
               f"  {_backup_summary(result)}")
    if done["old_photo_dir"]:
        click.echo(f"  原照片目录已移到 / the old photo directory was moved to {done['old_photo_dir']}")
    head = backup.head_revision()
    if result["alembic_revision"] != head:
        click.echo(f"  数据库版本 {result['alembic_revision']} 不是代码的最新版本 {head}，"
                   f"请运行 riverpatrol db upgrade / the database is at {result['alembic_revision']}, "
                   f"this code at {head}: run riverpatrol db upgrade")
    processing = sum(1 for r in result.get("photo_records", {}).values() if r["status"] == "processing")
    if processing:
        click.echo(f"  {processing} 张照片尚待处理，请运行 riverpatrol jobs enqueue photos.reprocess / "
                   f"{processing} photos were still being processed: run riverpatrol jobs enqueue photos.reprocess")
    if result.get("photo_storage", "fs") != "fs":
        click.echo("  照片在对象存储中，未随本备份恢复；请从桶的版本或副本恢复后用 backup verify --photos 核对 / "
                   "the photos are in a bucket, not in this backup: restore them from its versions or copy, "
                   "then check them with backup verify --photos")


@backup_group.command("verify")
@click.argument("archive", type=click.Path(exists=True))
@click.option("--photos", "photos_copy", type=click.Path(exists=True, file_okay=False),
              help="Also check this photo directory (PHOTO_DIR, or a bucket synced down) against the manifest.")
def backup_verify(archive: str, photos_copy: str | None) -> None:
    """Check ARCHIVE against its manifest: the database file and every photo's sha256."""
    from . import backup

    try:
        manifest = backup.verify(archive, photos_copy)
    except backup.BackupError as exc:
        _backup_fail(exc)
    click.echo(f"备份完好 / backup verified: {archive}\n  {_backup_summary(manifest)}")
    if photos_copy:
        click.echo(f"  照片目录包含备份中的全部照片 / the photo directory holds every photo of the backup: "
                   f"{photos_copy}")


from .track_cli import track as _track  # noqa: E402  (no app, no database: importable on its own)

main.add_command(_track, "track")


@main.group("photos")
def photos_group() -> None:
    """Photo storage housekeeping."""


@photos_group.command("prune")
@click.option("--older-than-hours", type=float, default=48.0, show_default=True,
              help="Unfinished uploads untouched this long are dropped (never under 24).")
@with_appcontext
def photos_prune(older_than_hours: float) -> None:
    """Drop unfinished uploads the phone has given up on."""
    import datetime as dt

    from .photos.service import prune_partials

    hours = max(24.0, older_than_hours)  # a phone offline for a day must still be able to resume
    click.echo(f"pruned {prune_partials(dt.timedelta(hours=hours))} unfinished uploads / 已清理未完成上传")


@main.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (for tests and one-off runs).")
@with_appcontext
def worker(burst: bool) -> None:
    """Run background jobs from the Redis queue (RIVERPATROL_JOBS=rq): photos, monthly runs."""
    from .jobs import work

    work(burst=burst)


@main.group("jobs")
def jobs_group() -> None:
    """Background jobs: queue one (cron calls these)."""


@jobs_group.command("enqueue")
@click.argument("name")
@click.option("--arg", "args", multiple=True, metavar="KEY=VALUE", help="A keyword argument of the job.")
@with_appcontext
def jobs_enqueue(name: str, args: tuple[str, ...]) -> None:
    """Queue job NAME (or run it here with the inline backend), e.g. cases.escalate daily,
    assessment.lock_last_month on the 3rd, photos.prune and photos.reprocess nightly."""
    from .jobs import JOBS, enqueue

    if name not in JOBS:
        raise click.UsageError(f"未知任务 unknown job {name!r}; known: {', '.join(sorted(JOBS))}")
    kwargs = dict(a.split("=", 1) for a in args)
    click.echo(f"{name}: {enqueue(name, **kwargs)}")
