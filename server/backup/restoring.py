"""``restore``: a checked backup into an empty database and photo directory, proved equal to its manifest
before the photos (and SQLite's file) are moved into place."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from shared_models.clock import utcnow

from .archive import PHOTOS, BackupError, opened
from .database import database_errors, engine_of, shown
from .photos import check_photo_files
from .postgres import pg_clear, pg_engine, restore_pg
from .sqlite import restore_sqlite
from .verifying import check


def _prepare_photo_dir(photo_dir: Path, force: bool) -> None:
    if photo_dir.exists() and (not photo_dir.is_dir() or any(photo_dir.iterdir())) and not force:
        raise BackupError(f"照片目录不是空的，拒绝恢复（确要覆盖请加 --force） / the photo directory is not empty; "
                          f"refusing to restore (add --force to set the old one aside): {photo_dir}")


@database_errors
def restore(archive: str | os.PathLike, *, database_url: str, photo_dir: str | os.PathLike,
            force: bool = False) -> dict:
    """Restore a backup into an empty database and an empty photo directory, then prove it equals the manifest.

    ``force`` replaces a non-empty target: the database is cleared (SQLite: the file replaced) and an old photo
    directory is renamed aside (``<dir>.replaced-<time>``), never deleted. Returns the manifest plus a
    ``restore`` entry naming what was done.
    """
    photo_dir = Path(photo_dir).absolute()
    engine = engine_of(database_url)
    with opened(archive) as (path, manifest):
        if manifest["engine"] != engine:
            raise BackupError(f"备份来自 {manifest['engine']}，目标是 {engine} / the backup is of "
                              f"{manifest['engine']}, the target is {engine}; no conversion between engines")
        problems = check(path, manifest)  # a damaged backup touches nothing
        if problems:
            raise BackupError(f"备份校验失败，未做任何恢复 / the backup does not match its manifest; nothing was "
                              f"restored: {archive}", problems)
        _prepare_photo_dir(photo_dir, force)
        photo_dir.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=f".{photo_dir.name}.", suffix=".restoring", dir=photo_dir.parent))
        sqlite_tmp = None
        db_touched = False
        try:
            if (path / PHOTOS).is_dir():
                shutil.copytree(path / PHOTOS, staged, dirs_exist_ok=True)
            problems = check_photo_files(staged, manifest["photos"])
            if problems:
                raise BackupError("照片复制后校验失败 / the restored photos do not match the manifest", problems)
            db_file = path / manifest["database"]["file"]
            if engine == "sqlite":
                sqlite_tmp, target = restore_sqlite(db_file, database_url, manifest, force)
            else:
                restore_pg(db_file, database_url, manifest, force)  # clears itself on a failure
                db_touched = True
            aside = None
            if photo_dir.exists():
                if photo_dir.is_dir() and not any(photo_dir.iterdir()):
                    photo_dir.rmdir()
                else:
                    aside = photo_dir.with_name(f"{photo_dir.name}.replaced-{utcnow():%Y%m%dT%H%M%S}")
                    os.rename(photo_dir, aside)
            os.rename(staged, photo_dir)
            if sqlite_tmp is not None:
                for suffix in ("-wal", "-shm"):
                    Path(str(target) + suffix).unlink(missing_ok=True)
                os.replace(sqlite_tmp, target)
                sqlite_tmp = None
            db_touched = False
        except BaseException:
            if db_touched:
                pg_clear(pg_engine(database_url))
            raise
        finally:
            shutil.rmtree(staged, ignore_errors=True)
            if sqlite_tmp is not None:
                sqlite_tmp.unlink(missing_ok=True)
        return {**manifest, "restore": {"database": shown(database_url),
                                        "photo_dir": str(photo_dir), "old_photo_dir": str(aside) if aside else None}}


def head_revision() -> str | None:
    """The newest migration this code knows (to tell the operator whether ``db upgrade`` is due)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from .. import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS_DIR)
    return ScriptDirectory.from_config(cfg).get_current_head()
