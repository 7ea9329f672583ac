"""``verify``: a backup's files against its manifest, and optionally a photo directory against it."""
from __future__ import annotations

import os
from pathlib import Path

from .archive import PHOTOS, BackupError, hash_file, opened
from .database import count_problems
from .photos import check_photo_copy, check_photo_files
from .postgres import run
from .sqlite import sqlite_counts


def check(path: Path, manifest: dict) -> list[str]:
    """Every difference between the backup's files and its manifest."""
    problems = []
    db_file = path / manifest["database"]["file"]
    if not db_file.is_file():
        problems.append(f"数据库文件缺失 / database file missing: {manifest['database']['file']}")
    else:
        sha, size = hash_file(db_file)
        if sha != manifest["database"]["sha256"] or size != manifest["database"]["size"]:
            problems.append(f"数据库文件已损坏 / database file corrupted: {db_file.name} (sha256 differs from "
                            "the manifest)")
        elif manifest["engine"] == "sqlite":
            problems += count_problems(sqlite_counts(db_file)[0], manifest["tables"])
        else:
            try:
                run(["pg_restore", "--list", str(db_file)], dict(os.environ), "pg_restore --list")
            except BackupError as exc:
                problems.append(f"数据库转储无法读取 / the dump cannot be read: {exc}")
    return problems + check_photo_files(path / PHOTOS, manifest["photos"])


def verify(archive: str | os.PathLike, photos_copy: str | os.PathLike | None = None) -> dict:
    """Check a backup against its manifest (database file and every photo's sha256); raise on any difference.

    ``photos_copy`` also checks a photo directory against the manifest (see :func:`check_photo_copy`).
    """
    with opened(archive) as (path, manifest):
        problems = check(path, manifest)
        if problems:
            raise BackupError(f"备份校验失败 / the backup does not match its manifest: {archive}", problems)
        if photos_copy is not None:
            problems = check_photo_copy(Path(photos_copy), manifest)
            if problems:
                raise BackupError(f"照片目录缺少或改动了备份中的照片 / the photo directory lacks or changed photos "
                                  f"of the backup: {photos_copy}", problems)
        return manifest
