"""The ``riverpatrol`` command: serve, db (Flask-Migrate), demo data, imports."""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext


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


@main.group("backup")
def backup_group() -> None:
    """Backup and restore of the database and photos (备份与恢复); see docs/operations.md."""


def _backupfail(exc) -> None:
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
        _backupfail(exc)
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
    from .backup.restoring import head_revision

    try:
        result = backup.restore(archive, database_url=database_url or current_app.config["SQLALCHEMY_DATABASE_URI"],
                                photo_dir=photo_dir or current_app.config["PHOTO_DIR"], force=force)
    except backup.BackupError as exc:
        _backupfail(exc)
    done = result["restore"]
    click.echo(f"恢复完成并已核对 / restored and verified: {done['database']}, {done['photo_dir']}\n"
               f"  {_backup_summary(result)}")
    if done["old_photo_dir"]:
        click.echo(f"  原照片目录已移到 / the old photo directory was moved to {done['old_photo_dir']}")
    head = head_revision()
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
        _backupfail(exc)
    click.echo(f"备份完好 / backup verified: {archive}\n  {_backup_summary(manifest)}")
    if photos_copy:
        click.echo(f"  照片目录包含备份中的全部照片 / the photo directory holds every photo of the backup: "
                   f"{photos_copy}")


from .track_cli import track as _track  # noqa: E402  (no app, no database: importable on its own)

main.add_command(_track, "track")


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
