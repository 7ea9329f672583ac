"""`riverpatrol backup`: create, verify and restore a backup of the database and the photos (备份与恢复)."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from .archive import BackupError
from .creating import create
from .restoring import head_revision, restore
from .verifying import verify


@click.group("backup")
def cli() -> None:
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


@cli.command("create")
@click.argument("dest", type=click.Path(file_okay=True, dir_okay=True))
@with_appcontext
def backup_create(dest: str) -> None:
    """Back up the database (first) and the photos into DEST: a new directory, or a .tar/.tar.gz/.tgz archive."""
    try:
        manifest = create(dest, database_url=current_app.config["SQLALCHEMY_DATABASE_URI"],
                          photo_dir=current_app.config["PHOTO_DIR"],
                          photo_storage=current_app.config.get("PHOTO_STORAGE", "fs"))
    except BackupError as exc:
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


@cli.command("restore")
@click.argument("archive", type=click.Path(exists=True))
@click.option("--database-url", help="Target database (default: the configured one); must be empty.")
@click.option("--photo-dir", type=click.Path(file_okay=False), help="Target photo directory (default: PHOTO_DIR).")
@click.option("--force", is_flag=True, help="Replace a non-empty target (the old photo directory is kept aside).")
@with_appcontext
def backup_restore(archive: str, database_url: str | None, photo_dir: str | None, force: bool) -> None:
    """Restore ARCHIVE into an empty database and photo directory, then check rows and photos against it."""
    try:
        result = restore(archive, database_url=database_url or current_app.config["SQLALCHEMY_DATABASE_URI"],
                         photo_dir=photo_dir or current_app.config["PHOTO_DIR"], force=force)
    except BackupError as exc:
        _backup_fail(exc)
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


@cli.command("verify")
@click.argument("archive", type=click.Path(exists=True))
@click.option("--photos", "photos_copy", type=click.Path(exists=True, file_okay=False),
              help="Also check this photo directory (PHOTO_DIR, or a bucket synced down) against the manifest.")
def backup_verify(archive: str, photos_copy: str | None) -> None:
    """Check ARCHIVE against its manifest: the database file and every photo's sha256."""
    try:
        manifest = verify(archive, photos_copy)
    except BackupError as exc:
        _backup_fail(exc)
    click.echo(f"备份完好 / backup verified: {archive}\n  {_backup_summary(manifest)}")
    if photos_copy:
        click.echo(f"  照片目录包含备份中的全部照片 / the photo directory holds every photo of the backup: "
                   f"{photos_copy}")
