"""PostgreSQL (PostGIS): pg_dump from one exported snapshot with its row counts, pg_restore into an empty
database (or one cleared with --force), and the clearing that leaves nothing half-restored."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from .archive import BackupError
from .database import count_problems, photo_records, quote


def _libpq(url: str) -> tuple[str, dict]:
    """A libpq URI for pg_dump/pg_restore, the password passed in the environment, not the command line."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return u.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def pg_engine(url: str) -> sa.Engine:
    u = make_url(url)
    return sa.create_engine(u.set(query={k: v for k, v in u.query.items() if not k.startswith("geoalchemy2")}),
                            poolclass=sa.pool.NullPool)


def run(cmd: list[str], env: dict, what: str) -> None:
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise BackupError(f"找不到 {cmd[0]}，请安装 PostgreSQL 客户端 / {cmd[0]} not found; install the "
                          "PostgreSQL client tools") from exc
    if done.returncode != 0:
        raise BackupError(f"{what} 失败 / {what} failed (exit {done.returncode})",
                          [line for line in done.stderr.splitlines() if line.strip()][-20:])


_PG_TABLES = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype = 'e')
ORDER BY c.relname
"""


def _pg_counts(conn) -> tuple[dict[str, int], str | None]:
    tables = list(conn.execute(sa.text(_PG_TABLES)).scalars())
    counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {quote(t)}")).scalar() for t in tables}
    revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() \
        if "alembic_version" in counts else None
    return counts, revision


def snapshot_pg(url: str, work: Path) -> dict:
    """pg_dump and the row counts read from one exported snapshot: they describe the same instant."""
    dest_path = work / "database.dump"
    libpq, env = _libpq(url)
    engine = pg_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
            snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar()
            run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={dest_path}",
                 f"--dbname={libpq}"], env, "pg_dump")
            counts, revision = _pg_counts(conn)
            records = photo_records(lambda q: conn.execute(sa.text(q)).fetchall()) if "photos" in counts else {}
    except sa.exc.OperationalError as exc:
        raise BackupError("无法连接数据库 / cannot connect to the database", [str(exc.orig).strip()]) from exc
    finally:
        engine.dispose()
    return {"file": dest_path.name, "format": "pg_dump-custom", "tables": counts, "revision": revision,
            "photo_records": records}


def _pg_user_objects(conn) -> list[str]:
    return list(conn.execute(sa.text("""
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND d.deptype = 'e')
        ORDER BY c.relname""")).scalars())


def pg_clear(engine: sa.Engine) -> None:
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
                conn.execute(sa.text(f"DROP {kind} IF EXISTS {quote(name)} CASCADE"))
        for name in conn.execute(sa.text(
                "SELECT x.typname FROM pg_type x JOIN pg_namespace n ON n.oid = x.typnamespace "
                "WHERE n.nspname = current_schema() AND x.typtype IN ('e', 'd') "
                f"AND {not_ext.format(cat='pg_type')}")).scalars():
            conn.execute(sa.text(f"DROP TYPE IF EXISTS {quote(name)} CASCADE"))
        for sig in conn.execute(sa.text(
                "SELECT x.oid::regprocedure::text FROM pg_proc x JOIN pg_namespace n ON n.oid = x.pronamespace "
                f"WHERE n.nspname = current_schema() AND {not_ext.format(cat='pg_proc')}")).scalars():
            conn.execute(sa.text(f"DROP ROUTINE IF EXISTS {sig} CASCADE"))


def restore_pg(db_file: Path, url: str, manifest: dict, force: bool) -> None:
    engine = pg_engine(url)
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
                pg_clear(engine)
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
            run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
                 f"--use-list={work / 'toc.list'}", f"--dbname={libpq}", str(db_file)], env, "pg_restore")
            with engine.connect() as conn:
                problems = count_problems(_pg_counts(conn)[0], manifest["tables"])
            if problems:
                raise BackupError("恢复后的数据库与清单不符，已清除 / the restored database does not match the "
                                  "manifest; it was cleared", problems)
        except BaseException:
            pg_clear(engine)  # nothing half-restored stays behind
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        engine.dispose()
