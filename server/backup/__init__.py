"""Backups of the database and the photos, restore into an empty target, and their checks.

One backup is a directory (or a ``.tar`` / ``.tar.gz`` / ``.tgz`` of one) holding::

    manifest.json      what was taken: engine, alembic revision, rows per table, every photo's sha256
    database.dump      PostgreSQL: pg_dump --format=custom         (or)
    database.sqlite    SQLite: a copy by the online backup API
    photos/...         every finished photo file, in PHOTO_DIR's own layout (full/, thumb/)

The database snapshot is taken first, then the photos are copied. Photo files are written
once and named by their UUID, so a photo newer than the snapshot is harmless: no row of the
restored database points at it. Unfinished uploads (``partial/``) are left out; after a
restore the phone's resumed upload fails its checksum and starts again with the same UUID.

Nothing half-made claims to be good: a backup is built under a temporary name and renamed
when its manifest is written; a restore checks the backup, restores, compares rows and
photos with the manifest, and only then moves the photos into place (on a failure the
target database is cleared again and the temporary photo copy removed).
"""
from __future__ import annotations

from .archive import BackupError
from .creating import create
from .restoring import restore
from .verifying import verify

__all__ = ["BackupError", "create", "restore", "verify"]
