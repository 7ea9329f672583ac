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

import functools
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from shared_models.clock import utcnow

FORMAT = "riverpatrol-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PHOTOS = "photos"
PARTIAL = "partial"  # unfinished uploads under PHOTO_DIR: not backed up
ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz")
# SpatiaLite's own tables (metadata, logs); the rtree shadow tables of spatial indexes are found by name.
_SPATIALITE_TABLES = {"spatial_ref_sys", "spatial_ref_sys_aux", "spatialite_history", "sql_statements_log",
                      "data_licenses", "sqlite_sequence", "sqlite_stat1", "sqlite_stat4"}
_SPATIALITE_PREFIXES = ("geometry_columns", "views_geometry_columns", "virts_geometry_columns", "SE_",
                        "rl2map_", "vector_coverages", "raster_coverages", "wms_", "topologies", "networks",
                        "sqlite_")


class BackupError(Exception):
    """A backup or restore that must not be trusted; ``problems`` lists each difference found."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"  - {p}" for p in self.problems)])


# ---------------------------------------------------------------- helpers

def _now() -> str:
    return utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("riverpatrol")
    except PackageNotFoundError:
        return "unknown"


def _engine_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name == "sqlite":
        return "sqlite"
    if name == "postgresql":
        return "postgresql"
    raise BackupError(f"不支持的数据库 / unsupported database: {name}")


def _shown(url: str) -> str:
    """The URL for messages: no password, no GeoAlchemy2 connection options."""
    u = make_url(url)
    u = u.set(query={k: v for k, v in u.query.items() if not k.startswith("geoalchemy2")})
    return u.render_as_string(hide_password=True)


def _sqlite_path(url: str) -> Path:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError(f"SQLite 地址没有文件 / the SQLite URL names no file: {url}")
    return Path(path)


def _sqlite_connect(path: Path):
    import pysqlite3.dbapi2 as sqlite  # pyenv's sqlite3 cannot load extensions; one module for both ends

    return sqlite.connect(str(path), timeout=30)


def _libpq(url: str) -> tuple[str, dict]:
    """A libpq URI for pg_dump/pg_restore, the password passed in the environment, not the command line."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return u.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _pg_engine(url: str) -> sa.Engine:
    u = make_url(url)
    return sa.create_engine(u.set(query={k: v for k, v in u.query.items() if not k.startswith("geoalchemy2")}),
                            poolclass=sa.pool.NullPool)


def _run(cmd: list[str], env: dict, what: str) -> None:
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise BackupError(f"找不到 {cmd[0]}，请安装 PostgreSQL 客户端 / {cmd[0]} not found; install the "
                          "PostgreSQL client tools") from exc
    if done.returncode != 0:
        raise BackupError(f"{what} 失败 / {what} failed (exit {done.returncode})",
                          [line for line in done.stderr.splitlines() if line.strip()][-20:])


def _database_errors(fn):
    """A database that refuses (a lost connection, a missing privilege) is reported, not a traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except sa.exc.DBAPIError as exc:
            raise BackupError("数据库出错 / the database refused", [str(exc.orig).strip()]) from exc

    return wrapper


def _hash_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _copy_hashing(src: Path, dest: Path) -> tuple[str, int]:
    """Copy and hash the very bytes written, in one read."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        for block in iter(lambda: fin.read(1 << 20), b""):
            digest.update(block)
            fout.write(block)
            size += len(block)
        fout.flush()
        os.fsync(fout.fileno())
    shutil.copystat(src, dest)
    return digest.hexdigest(), size


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------- tables and row counts

def _sqlite_tables(conn) -> list[str]:
    """Tables of the application (and alembic_version); SpatiaLite's own and index shadow tables left out."""
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
    virtual = {name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL TABLE")}
    shadows = {f"{v}_{s}" for v in virtual for s in ("node", "parent", "rowid", "data", "idx", "content",
                                                     "docsize", "config", "segments", "segdir", "stat")}
    return sorted(name for name, _ in rows
                  if name not in virtual and name not in shadows and name not in _SPATIALITE_TABLES
                  and not name.startswith(_SPATIALITE_PREFIXES))


def _sqlite_counts(path: Path) -> tuple[dict[str, int], str | None]:
    conn = _sqlite_connect(path)
    try:
        counts = {t: conn.execute(f"SELECT count(*) FROM {_quote(t)}").fetchone()[0] for t in _sqlite_tables(conn)}
        revision = (conn.execute("SELECT version_num FROM alembic_version").fetchone() or [None])[0] \
            if "alembic_version" in counts else None
        return counts, revision
    finally:
        conn.close()


_PG_TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype = 'e')
ORDER BY c.relname
"""


def _pg_counts(conn) -> tuple[dict[str, int], str | None]:
    tables = list(conn.execute(sa.text(_PG_TABLES)).scalars())
    counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {_quote(t)}")).scalar() for t in tables}
    revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() \
        if "alembic_version" in counts else None
    return counts, revision


def _photo_records(conn_execute) -> dict[str, dict]:
    """The received photos of the snapshot (complete, or still being processed from the kept original) with
    the sha256 and size of the bytes the phone sent."""
    try:
        rows = conn_execute("SELECT uuid, sha256, size, status FROM photos "
                            "WHERE status IN ('complete', 'processing') ORDER BY uuid")
    except Exception:  # noqa: BLE001  (a database from before the photos table: nothing to list)
        return {}
    return {str(u): {"sha256": sha, "size": size, "status": status} for u, sha, size, status in rows}


def _full_key(uuid: str) -> str:
    return f"full/{uuid[:2]}/{uuid}.jpg"


def _original_key(uuid: str) -> str:
    return f"original/{uuid[:2]}/{uuid}"


def _missing_files(records: dict[str, dict], present) -> list[str]:
    """A complete photo needs its served file; one still processing needs the original it is made from."""
    missing = []
    for uuid, rec in sorted(records.items()):
        key = _full_key(uuid) if rec["status"] == "complete" else _original_key(uuid)
        if not present(key):
            missing.append(key)
    return missing


# ---------------------------------------------------------------- create

def _snapshot_sqlite(url: str, work: Path) -> dict:
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
    counts, revision = _sqlite_counts(dest_path)
    conn = _sqlite_connect(dest_path)
    try:
        records = _photo_records(lambda q: conn.execute(q).fetchall())
    finally:
        conn.close()
    return {"file": dest_path.name, "format": "sqlite", "tables": counts, "revision": revision,
            "photo_records": records}


def _snapshot_pg(url: str, work: Path) -> dict:
    """pg_dump and the row counts read from one exported snapshot: they describe the same instant."""
    dest_path = work / "database.dump"
    libpq, env = _libpq(url)
    engine = _pg_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
            _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={dest_path}",
                  f"--dbname={libpq}"], env, "pg_dump")
            counts, revision = _pg_counts(conn)
            records = _photo_records(lambda q: conn.execute(sa.text(q)).fetchall()) if "photos" in counts else {}
    except sa.exc.OperationalError as exc:
        raise BackupError("无法连接数据库 / cannot connect to the database", [str(exc.orig).strip()]) from exc
    finally:
        engine.dispose()
    return {"file": dest_path.name, "format": "pg_dump-custom", "tables": counts, "revision": revision,
            "photo_records": records}


def _copy_photos(photo_dir: Path, dest: Path) -> tuple[dict[str, dict], int]:
    photos: dict[str, dict] = {}
    skipped = 0
    if not photo_dir.is_dir():
        return photos, skipped
    for root, dirs, files in os.walk(photo_dir):
        rel_root = Path(root).relative_to(photo_dir)
        if rel_root == Path(".") and PARTIAL in dirs:
            dirs.remove(PARTIAL)
            skipped = sum(len(f) for _, _, f in os.walk(photo_dir / PARTIAL))
        dirs.sort()
        for name in sorted(files):
            if name.startswith("."):  # a file still being written (a temporary name, renamed when whole)
                continue
            rel = (rel_root / name).as_posix()
            try:
                sha, size = _copy_hashing(Path(root) / name, dest / rel)
            except FileNotFoundError:  # removed while we walked (a discarded upload)
                continue
            photos[rel] = {"sha256": sha, "size": size}
    return photos, skipped


def _is_archive(path: Path) -> bool:
    return path.name.endswith(ARCHIVE_SUFFIXES)


@_database_errors
def create(dest: str | os.PathLike, *, database_url: str, photo_dir: str | os.PathLike,
           photo_storage: str = "fs") -> dict:
    """Back up the database, then the photos, into ``dest`` (a new directory, or a tar archive by its suffix).

    With ``photo_storage="s3"`` the photos live in a bucket and are not copied (the bucket's versioning,
    replication or ``aws s3 sync`` keeps them); the manifest still lists every finished photo's sha256.
    """
    dest = Path(dest).absolute()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"目标已存在且不为空 / the destination exists and is not empty: {dest}")
    engine = _engine_of(database_url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent))
    try:
        started = _now()  # the database copy shows the state of a moment after this one
        snap = (_snapshot_sqlite if engine == "sqlite" else _snapshot_pg)(database_url, work)  # first the database
        db_sha, db_size = _hash_file(work / snap["file"])
        if photo_storage == "fs":
            photos, skipped = _copy_photos(Path(photo_dir), work / PHOTOS)  # then the photos
            missing = _missing_files(snap["photo_records"], lambda key: key in photos)
        else:
            photos, missing = {}, []
            skipped = sum(1 for p in (Path(photo_dir) / PARTIAL).glob("*") if p.is_file())
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "created_at": started, "finished_at": _now(),
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
            "source": {"database": _shown(database_url),
                       "photo_dir": str(Path(photo_dir).absolute())},
        }
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                     encoding="utf-8")
        if _is_archive(dest):
            tmp = dest.with_name(f".{dest.name}.partial")
            with tarfile.open(tmp, "w:gz" if dest.name.endswith(("gz", "tgz")) else "w") as tar:
                # the manifest last: an archive cut short anywhere lacks it, and says so
                for item in sorted(work.iterdir(), key=lambda p: (p.name == MANIFEST, p.name)):
                    tar.add(item, arcname=item.name)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, dest)
        else:
            if dest.exists():
                dest.rmdir()
            os.rename(work, dest)
        return manifest
    finally:
        shutil.rmtree(work, ignore_errors=True)
        dest.with_name(f".{dest.name}.partial").unlink(missing_ok=True)


# ---------------------------------------------------------------- open and verify

@contextmanager
def opened(archive: str | os.PathLike) -> Iterator[tuple[Path, dict]]:
    """The backup as a directory and its manifest; a tar archive is unpacked into a temporary directory."""
    path = Path(archive)
    if not path.exists():
        raise BackupError(f"备份不存在 / backup not found: {path}")
    tmp = None
    try:
        if path.is_file():
            tmp = Path(tempfile.mkdtemp(prefix="riverpatrol-restore-"))
            try:
                with tarfile.open(path) as tar:
                    tar.extractall(tmp, filter="data")
            except (tarfile.TarError, OSError, EOFError) as exc:
                raise BackupError(f"备份归档无法读取或不完整 / the backup archive cannot be read or is incomplete: "
                                  f"{path}", [str(exc)]) from exc
            if not (tmp / MANIFEST).is_file():
                raise BackupError(f"备份归档无法读取或不完整 / the backup archive cannot be read or is incomplete: "
                                  f"{path}", ["no manifest.json (it is the last member: the archive was cut short?)"])
            path = tmp
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BackupError(f"备份中没有可读的 manifest.json / no readable manifest.json in {archive}",
                              [str(exc)]) from exc
        if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
            raise BackupError(f"不认识的备份格式 / not a RiverPatrol backup (format {manifest.get('format')!r}, "
                              f"version {manifest.get('format_version')!r})")
        yield path, manifest
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _check_photo_files(root: Path, expected: dict[str, dict]) -> list[str]:
    problems = []
    for rel, want in sorted(expected.items()):
        path = root / rel
        if not path.is_file():
            problems.append(f"照片缺失 / photo missing: {rel}")
            continue
        sha, size = _hash_file(path)
        if sha != want["sha256"] or size != want["size"]:
            problems.append(f"照片已损坏 / photo corrupted: {rel} (sha256 {sha[:12]}… size {size}, "
                            f"manifest {want['sha256'][:12]}… size {want['size']})")
    if root.is_dir():
        extra = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
                       and p.relative_to(root).as_posix() not in expected)
        problems += [f"清单外的照片文件 / photo file not in the manifest: {rel}" for rel in extra]
    return problems


def _count_problems(got: dict[str, int], want: dict[str, int]) -> list[str]:
    problems = []
    for table in sorted(set(got) | set(want)):
        if got.get(table) != want.get(table):
            problems.append(f"表 {table} 行数不符 / table {table}: {got.get(table, 'missing')} rows, "
                            f"manifest {want.get(table, 'missing')}")
    return problems


def _check(path: Path, manifest: dict) -> list[str]:
    """Every difference between the backup's files and its manifest."""
    problems = []
    db_file = path / manifest["database"]["file"]
    if not db_file.is_file():
        problems.append(f"数据库文件缺失 / database file missing: {manifest['database']['file']}")
    else:
        sha, size = _hash_file(db_file)
        if sha != manifest["database"]["sha256"] or size != manifest["database"]["size"]:
            problems.append(f"数据库文件已损坏 / database file corrupted: {db_file.name} (sha256 differs from "
                            "the manifest)")
        elif manifest["engine"] == "sqlite":
            problems += _count_problems(_sqlite_counts(db_file)[0], manifest["tables"])
        else:
            try:
                _run(["pg_restore", "--list", str(db_file)], dict(os.environ), "pg_restore --list")
            except BackupError as exc:
                problems.append(f"数据库转储无法读取 / the dump cannot be read: {exc}")
    return problems + _check_photo_files(path / PHOTOS, manifest["photos"])


def check_photo_copy(root: Path, manifest: dict) -> list[str]:
    """Does a photo directory (the live PHOTO_DIR, or a bucket synced down with ``aws s3 sync``) still hold
    what the backup knows? Each file the backup copied, with its sha256; each finished photo of the database
    snapshot, and where the bytes the phone sent are kept (``original/``), their sha256 from the database."""
    problems: dict[str, str] = {}
    for rel, want in manifest["photos"].items():
        path = root / rel
        if not path.is_file():
            problems[rel] = f"照片缺失 / photo missing: {rel}"
        elif _hash_file(path) != (want["sha256"], want["size"]):
            problems[rel] = f"照片与备份不同 / photo differs from the backup: {rel}"
    records = manifest.get("photo_records", {})
    for key in _missing_files(records, lambda key: (root / key).is_file()):
        problems.setdefault(key, f"照片缺失 / photo missing: {key}")
    for uuid, want in records.items():
        original = _original_key(uuid)
        if (root / original).is_file() and _hash_file(root / original) != (want["sha256"], want["size"]):
            problems[original] = f"原图与数据库记录的 sha256 不符 / original differs from its sha256 in the " \
                                 f"database: {original}"
    return [problems[k] for k in sorted(problems)]


def verify(archive: str | os.PathLike, photos_copy: str | os.PathLike | None = None) -> dict:
    """Check a backup against its manifest (database file and every photo's sha256); raise on any difference.

    ``photos_copy`` also checks a photo directory against the manifest (see :func:`check_photo_copy`).
    """
    with opened(archive) as (path, manifest):
        problems = _check(path, manifest)
        if problems:
            raise BackupError(f"备份校验失败 / the backup does not match its manifest: {archive}", problems)
        if photos_copy is not None:
            problems = check_photo_copy(Path(photos_copy), manifest)
            if problems:
                raise BackupError(f"照片目录缺少或改动了备份中的照片 / the photo directory lacks or changed photos "
                                  f"of the backup: {photos_copy}", problems)
        return manifest


# ---------------------------------------------------------------- restore

def _pg_user_objects(conn) -> list[str]:
    return list(conn.execute(sa.text("""
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND d.deptype = 'e')
        ORDER BY c.relname""")).scalars())


def _pg_clear(engine: sa.Engine) -> None:
    """Drop every table, view, sequence, type and function of the schema that no extension owns."""
    with engine.begin() as conn:
        not_ext = ("NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{cat}'::regclass "
                   "AND d.objid = x.oid AND d.deptype = 'e')")
        for kind, relkinds in (("MATERIALIZED VIEW", "'m'"), ("VIEW", "'v'"), ("FOREIGN TABLE", "'f'"),
                               ("TABLE", "'r', 'p'"), ("SEQUENCE", "'S'")):
            for name in conn.execute(sa.text(
                    f"SELECT x.relname FROM pg_class x JOIN pg_namespace n ON n.oid = x.relnamespace "
                    f"WHERE n.nspname = current_schema() AND x.relkind IN ({relkinds}) "
                    f"AND {not_ext.format(cat='pg_class')}")).scalars():
                conn.execute(sa.text(f"DROP {kind} IF EXISTS {_quote(name)} CASCADE"))
        for name in conn.execute(sa.text(
                "SELECT x.typname FROM pg_type x JOIN pg_namespace n ON n.oid = x.typnamespace "
                "WHERE n.nspname = current_schema() AND x.typtype IN ('e', 'd') "
                f"AND {not_ext.format(cat='pg_type')}")).scalars():
            conn.execute(sa.text(f"DROP TYPE IF EXISTS {_quote(name)} CASCADE"))
        for sig in conn.execute(sa.text(
                "SELECT x.oid::regprocedure::text FROM pg_proc x JOIN pg_namespace n ON n.oid = x.pronamespace "
                f"WHERE n.nspname = current_schema() AND {not_ext.format(cat='pg_proc')}")).scalars():
            conn.execute(sa.text(f"DROP ROUTINE IF EXISTS {sig} CASCADE"))


def _restore_pg(db_file: Path, url: str, manifest: dict, force: bool) -> None:
    engine = _pg_engine(url)
    libpq, env = _libpq(url)
    try:
        try:
            with engine.connect() as conn:
                present = _pg_user_objects(conn)
        except sa.exc.OperationalError as exc:
            raise BackupError("无法连接目标数据库（须先建好） / cannot connect to the target database (create it "
                              "first)", [str(exc.orig).strip()]) from exc
        if present and not force:
            raise BackupError(f"目标数据库不是空的，拒绝恢复（确要覆盖请加 --force） / the target database is not "
                              f"empty; refusing to restore (add --force to replace it): "
                              f"{len(present)} objects, e.g. {', '.join(present[:5])}")
        work = Path(tempfile.mkdtemp(prefix="riverpatrol-toc-"))
        try:
            if present:
                _pg_clear(engine)
            with engine.begin() as conn:
                try:
                    conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
                except sa.exc.DBAPIError as exc:
                    raise BackupError("目标数据库没有 PostGIS 且无权创建，请超级用户执行 CREATE EXTENSION postgis / "
                                      "the target database lacks PostGIS and this role may not create it: have a "
                                      "superuser run CREATE EXTENSION postgis in it", [str(exc.orig).strip()]) from exc
                extension_tables = {f"TABLE DATA {schema} {name} " for schema, name in conn.execute(sa.text(
                    "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
                    "AND d.objid = c.oid AND d.deptype = 'e')"))}
            # The extension exists now: restore all but it, its comment (only its owner may set that) and the
            # rows of its own tables (spatial_ref_sys: the extension filled it; an ordinary role may not write it).
            listing = subprocess.run(["pg_restore", "--list", str(db_file)], env=env, capture_output=True,
                                     text=True, check=True).stdout
            keep = [line for line in listing.splitlines()
                    if not (" EXTENSION " in line or "COMMENT - EXTENSION" in line
                            or any(t in line + " " for t in extension_tables))]
            (work / "toc.list").write_text("\n".join(keep) + "\n")
            _run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
                  f"--use-list={work / 'toc.list'}", f"--dbname={libpq}", str(db_file)], env, "pg_restore")
            with engine.connect() as conn:
                problems = _count_problems(_pg_counts(conn)[0], manifest["tables"])
            if problems:
                raise BackupError("恢复后的数据库与清单不符，已清除 / the restored database does not match the "
                                  "manifest; it was cleared", problems)
        except BaseException:
            _pg_clear(engine)  # nothing half-restored stays behind
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        engine.dispose()


def _sqlite_target_empty(path: Path) -> list[str]:
    if not path.exists() or path.stat().st_size == 0:
        return []
    conn = _sqlite_connect(path)
    try:
        return _sqlite_tables(conn)
    finally:
        conn.close()


def _restore_sqlite(db_file: Path, url: str, manifest: dict, force: bool) -> tuple[Path, Path]:
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
        problems = _count_problems(_sqlite_counts(tmp)[0], manifest["tables"])
        if problems:
            raise BackupError("恢复后的数据库与清单不符，未放入目标 / the restored database does not match the "
                              "manifest; the target was left as it was", problems)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, target


def _prepare_photo_dir(photo_dir: Path, force: bool) -> None:
    if photo_dir.exists() and (not photo_dir.is_dir() or any(photo_dir.iterdir())) and not force:
        raise BackupError(f"照片目录不是空的，拒绝恢复（确要覆盖请加 --force） / the photo directory is not empty; "
                          f"refusing to restore (add --force to set the old one aside): {photo_dir}")


@_database_errors
def restore(archive: str | os.PathLike, *, database_url: str, photo_dir: str | os.PathLike,
            force: bool = False) -> dict:
    """Restore a backup into an empty database and an empty photo directory, then prove it equals the manifest.

    ``force`` replaces a non-empty target: the database is cleared (SQLite: the file replaced) and an old photo
    directory is renamed aside (``<dir>.replaced-<time>``), never deleted. Returns the manifest plus a
    ``restore`` entry naming what was done.
    """
    photo_dir = Path(photo_dir).absolute()
    engine = _engine_of(database_url)
    with opened(archive) as (path, manifest):
        if manifest["engine"] != engine:
            raise BackupError(f"备份来自 {manifest['engine']}，目标是 {engine} / the backup is of "
                              f"{manifest['engine']}, the target is {engine}; no conversion between engines")
        problems = _check(path, manifest)  # a damaged backup touches nothing
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
            problems = _check_photo_files(staged, manifest["photos"])
            if problems:
                raise BackupError("照片复制后校验失败 / the restored photos do not match the manifest", problems)
            db_file = path / manifest["database"]["file"]
            if engine == "sqlite":
                sqlite_tmp, target = _restore_sqlite(db_file, database_url, manifest, force)
            else:
                _restore_pg(db_file, database_url, manifest, force)  # clears itself on a failure
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
                _pg_clear(_pg_engine(database_url))
            raise
        finally:
            shutil.rmtree(staged, ignore_errors=True)
            if sqlite_tmp is not None:
                sqlite_tmp.unlink(missing_ok=True)
        return {**manifest, "restore": {"database": _shown(database_url),
                                        "photo_dir": str(photo_dir), "old_photo_dir": str(aside) if aside else None}}


def head_revision() -> str | None:
    """The newest migration this code knows (to tell the operator whether ``db upgrade`` is due)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from . import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS_DIR)
    return ScriptDirectory.from_config(cfg).get_current_head()
