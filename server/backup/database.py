"""What both engines share: which engine a URL names, the URL as messages show it, a database's refusal
reported as a BackupError, the snapshot's photo records and row counts compared with the manifest."""
from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from .archive import BackupError


def engine_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name == "sqlite":
        return "sqlite"
    if name == "postgresql":
        return "postgresql"
    raise BackupError(f"不支持的数据库 / unsupported database: {name}")


def shown(url: str) -> str:
    """The URL for messages: no password, no GeoAlchemy2 connection options."""
    u = make_url(url)
    u = u.set(query={k: v for k, v in u.query.items() if not k.startswith("geoalchemy2")})
    return u.render_as_string(hide_password=True)


def database_errors(fn):
    """A database that refuses (a lost connection, a missing privilege) is reported, not a traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except sa.exc.DBAPIError as exc:
            raise BackupError("数据库出错 / the database refused", [str(exc.orig).strip()]) from exc

    return wrapper


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def photo_records(conn_execute) -> dict[str, dict]:
    """The received photos of the snapshot (complete, or still being processed from the kept original) with
    the sha256 and size of the bytes the phone sent."""
    try:
        rows = conn_execute("SELECT uuid, sha256, size, status FROM photos "
                            "WHERE status IN ('complete', 'processing') ORDER BY uuid")
    except Exception:  # noqa: BLE001  (a database from before the photos table: nothing to list)
        return {}
    return {str(u): {"sha256": sha, "size": size, "status": status} for u, sha, size, status in rows}


def count_problems(got: dict[str, int], want: dict[str, int]) -> list[str]:
    problems = []
    for table in sorted(set(got) | set(want)):
        if got.get(table) != want.get(table):
            problems.append(f"表 {table} 行数不符 / table {table}: {got.get(table, 'missing')} rows, "
                            f"manifest {want.get(table, 'missing')}")
    return problems
