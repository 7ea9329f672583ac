"""A throwaway PostgreSQL + PostGIS cluster owned by the test run.

initdb refuses to run as root, so as root the cluster belongs to the ``postgres`` user
(run through runuser). It listens on 127.0.0.1 on a free port, with durability off:
it is thrown away at the end.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time


def _bindir() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found; run `make test` (it installs them)")
    return os.path.dirname(found[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self) -> None:
        self.bindir = _bindir()
        self.root = tempfile.mkdtemp(prefix="riverpatrol-pg-")
        self.data = os.path.join(self.root, "data")
        self.port = _free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> Cluster:
        if self.as_root:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run(f"{self.bindir}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--locale=C.UTF-8")
        self.opts = opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(f"{self.bindir}/pg_ctl", "-D", self.data, "-l", os.path.join(self.root, "log"),
                  "-o", opts, "-w", "-t", "60", "start")
        return self

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_postgis_database(self, dbname: str) -> str:
        """A new database with PostGIS (for the benches); its URL."""
        import sqlalchemy as sa

        for url, sql in ((self.url(), f"CREATE DATABASE {dbname}"), (self.url(dbname), "CREATE EXTENSION postgis")):
            engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
            with engine.connect() as conn:
                conn.exec_driver_sql(sql)
        return self.url(dbname)

    def stop(self) -> None:
        try:
            self._run(f"{self.bindir}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            for _ in range(20):
                try:
                    shutil.rmtree(self.root)
                    break
                except OSError:
                    time.sleep(0.1)
