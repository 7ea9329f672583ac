"""``create``: the database snapshot first, then the photos, sealed with a manifest under the final name."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .archive import FORMAT, FORMAT_VERSION, PARTIAL, PHOTOS, BackupError, app_version, hash_file, now, seal
from .database import database_errors, engine_of, shown
from .photos import copy_photos, missing_files
from .postgres import snapshot_pg
from .sqlite import snapshot_sqlite


@database_errors
def create(dest: str | os.PathLike, *, database_url: str, photo_dir: str | os.PathLike,
           photo_storage: str = "fs") -> dict:
    """Back up the database, then the photos, into ``dest`` (a new directory, or a tar archive by its suffix).

    With ``photo_storage="s3"`` the photos live in a bucket and are not copied (the bucket's versioning,
    replication or ``aws s3 sync`` keeps them); the manifest still lists every finished photo's sha256.
    """
    dest = Path(dest).absolute()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"目标已存在且不为空 / the destination exists and is not empty: {dest}")
    engine = engine_of(database_url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent))
    try:
        started = now()  # the database copy shows the state of a moment after this one
        snap = (snapshot_sqlite if engine == "sqlite" else snapshot_pg)(database_url, work)  # first the database
        db_sha, db_size = hash_file(work / snap["file"])
        if photo_storage == "fs":
            photos, skipped = copy_photos(Path(photo_dir), work / PHOTOS)  # then the photos
            missing = missing_files(snap["photo_records"], lambda key: key in photos)
        else:
            photos, missing = {}, []
            skipped = sum(1 for p in (Path(photo_dir) / PARTIAL).glob("*") if p.is_file())
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "created_at": started, "finished_at": now(),
            "app_version": app_version(),
            "engine": engine, "alembic_revision": snap["revision"],
            "database": {"file": snap["file"], "format": snap["format"], "sha256": db_sha, "size": db_size},
            "tables": snap["tables"],
            "photo_storage": photo_storage,
            "photos": photos,
            "photo_records": snap["photo_records"],
            "photos_total_bytes": sum(p["size"] for p in photos.values()),
            "skipped": {"partial_uploads": skipped,
                        "note": "unfinished uploads are not backed up; phones upload them again"},
            "missing_photo_files": missing,
            "source": {"database": shown(database_url),
                       "photo_dir": str(Path(photo_dir).absolute())},
        }
        seal(work, dest, manifest)
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)
