"""SQLite (SpatiaLite): a copy by the online backup API, its tables and row counts, and the restore into a
temporary file beside the target."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from .archive import BackupError
from .database import count_problems, photo_records, quote

# SpatiaLite's own tables (metadata, logs); the rtree shadow tables of spatial indexes are found by name.
_SPATIALITE_TABLES = {"spatial_ref_sys", "spatial_ref_sys_aux", "spatialite_history", "sql_statements_log",
                      "data_licenses", "sqlite_sequence", "sqlite_stat1", "sqlite_stat4"}
_SPATIALITE_PREFIXES = ("geometry_columns", "views_geometry_columns", "virts_geometry_columns", "SE_",
                        "rl2map_", "vector_coverages", "raster_coverages", "wms_", "topologies", "networks",
                        "sqlite_")


def _sqlite_path(url: str) -> Path:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError(f"SQLite 地址没有文件 / the SQLite URL names no file: {url}")
    return Path(path)


def _sqlite_connect(path: Path):
    import pysqlite3.dbapi2 as sqlite  # pyenv's sqlite3 cannot load extensions; one module for both ends

    return sqlite.connect(str(path), timeout=30)


def _sqlite_tables(conn) -> list[str]:
    """Tables of the application (and alembic_version); SpatiaLite's own and index shadow tables left out."""
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    virtual = {name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL TABLE")}
    shadows = {f"{v}_{s}" for v in virtual for s in ("node", "parent", "rowid", "data", "idx", "content",
                                                     "docsize", "config", "segments", "segdir", "stat")}
    return sorted(name for name, _ in rows
                  if name not in virtual and name not in shadows and name not in _SPATIALITE_TABLES
                  and not name.startswith(_SPATIALITE_PREFIXES))


def sqlite_counts(path: Path) -> tuple[dict[str, int], str | None]:
    conn = _sqlite_connect(path)
    try:
        counts = {t: conn.execute(f"SELECT count(*) FROM {quote(t)}").fetchone()[0] for t in _sqlite_tables(conn)}
        revision = (conn.execute("SELECT version_num FROM alembic_version").fetchone() or [None])[0] \
            if "alembic_version" in counts else None
        return counts, revision
    finally:
        conn.close()


def snapshot_sqlite(url: str, work: Path) -> dict:
    src_path = _sqlite_path(url)
    if not src_path.exists():
        raise BackupError(f"数据库文件不存在 / database file not found: {src_path}")
    dest_path = work / "database.sqlite"
    src, dest = _sqlite_connect(src_path), _sqlite_connect(dest_path)
    try:
        src.backup(dest)  # the online backup API: a consistent copy while the server writes
        dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
        dest.commit()
    finally:
        dest.close()
        src.close()
    counts, revision = sqlite_counts(dest_path)
    conn = _sqlite_connect(dest_path)
    try:
        records = photo_records(lambda q: conn.execute(q).fetchall())
    finally:
        conn.close()
    return {"file": dest_path.name, "format": "sqlite", "tables": counts, "revision": revision,
            "photo_records": records}


def _sqlite_target_empty(path: Path) -> list[str]:
    if not path.exists() or path.stat().st_size == 0:
        return []
    conn = _sqlite_connect(path)
    try:
        return _sqlite_tables(conn)
    finally:
        conn.close()


def restore_sqlite(db_file: Path, url: str, manifest: dict, force: bool) -> tuple[Path, Path]:
    """Copy to a temporary file beside the target and check it; the caller moves it into place."""
    target = _sqlite_path(url).absolute()
    present = _sqlite_target_empty(target)
    if present and not force:
        raise BackupError(f"目标数据库不是空的，拒绝恢复（确要覆盖请加 --force） / the target database is not empty; "
                          f"refusing to restore (add --force to replace it): {target} has tables "
                          f"{', '.join(present[:5])}")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".restoring", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        shutil.copyfile(db_file, tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as the server would have made it, not mkstemp's 0600
        problems = count_problems(sqlite_counts(tmp)[0], manifest["tables"])
        if problems:
            raise BackupError("恢复后的数据库与清单不符，未放入目标 / the restored database does not match the "
                              "manifest; the target was left as it was", problems)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, target
