"""API fuzzing: schemathesis over the server's own OpenAPI spec, against a real HTTP server.

Run ``make bench`` (or ``python bench/fuzz.py [--engine spatialite|postgis]``); prints
``name: value`` lines on stdout and nothing else:

- ``fuzz_operations``: operations in ``/api/v1/openapi.json`` that were fuzzed.
- ``fuzz_requests``: HTTP requests sent with generated data (goal >= 2,000).
- ``fuzz_5xx``: answers with a 5xx status (goal 0).

The app runs in this process behind werkzeug's threaded HTTP server on 127.0.0.1, on a
fresh database (a temporary SpatiaLite file, and/or a database in a throwaway PostgreSQL
+ PostGIS cluster) holding the demo county. Every operation gets schemathesis 4's coverage
cases (boundary values, wrong types, missing fields; ``--coverage`` per operation) and then
positive and negative examples (its Hypothesis strategies, ``--max-examples`` per mode,
fixed ``--seed``); each case is sent three times: as the county's admin, a township
supervisor and a village inspector. A request left unanswered for 20 s counts as a 5xx.
Cases that sign a demo account out (logout, password reset, deactivation, revoked
sessions) are repaired in the database and the account signs in again, so the rest of the
run stays authenticated. Every 5xx is written to stderr with its request and the server's
traceback (once per operation and error).
"""
from __future__ import annotations

import argparse
import contextlib
import itertools
import logging
import os
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout without installing

import requests  # noqa: E402

ROLES = {"admin": "13900000001", "supervisor": "13900000011", "inspector": "13900000101"}
FAST_HASH = {"PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_KIB": 1024}
# Operations whose examples may sign one of our demo accounts out.
TIMEOUT = 20  # seconds; no answer counts as a server error
DISRUPTIVE = ("/auth/logout", "/sessions", "/password", "/active")


class CountingSession(requests.Session):
    """Counts every request it sends and every 5xx it receives."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0
        self.server_errors = 0

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        self.sent += 1
        if response.status_code >= 500:
            self.server_errors += 1
        return response


class ServerLog(logging.Handler):
    """Keeps the server's error records (with tracebacks) until the bench collects them."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []
        self.guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        with self.guard:
            self.records.append(text)

    def take(self) -> str:
        with self.guard:
            out, self.records = "\n".join(self.records), []
        return out


@contextlib.contextmanager
def database(engine: str, tmp: Path):
    """A URL of a fresh, empty database on ``engine``."""
    if engine == "spatialite":
        yield f"sqlite:///{tmp / 'fuzz.sqlite'}"
        return

    from tests.pgcluster import Cluster

    cluster = Cluster().start()
    try:
        yield cluster.create_postgis_database("fuzz")
    finally:
        cluster.stop()


def make_app(url: str, tmp: Path):
    import flask_migrate

    from server import create_app
    from server.demo import load_demo
    from server.extensions import db

    os.environ["RIVERPATROL_INSTANCE"] = str(tmp / "instance")
    os.environ["RIVERPATROL_DATABASE_URL"] = url
    os.environ["RIVERPATROL_PHOTO_DIR"] = str(tmp / "photos")
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "PHOTO_DIR": str(tmp / "photos"), **FAST_HASH,
        "SECRET_KEY": "fuzz-bench-secret-key-long-enough-0123456789",
        "ACCESS_TOKEN_SECONDS": 3600, "LOG_FORMAT": "text", "LOG_LEVEL": "ERROR",
        # the bench signs in again after examples that sign it out; generated logins must not lock it out
        "LOGIN_MAX_FAILURES_PER_PHONE": 10**6, "LOGIN_MAX_FAILURES_PER_ADDRESS": 10**6,
    })
    server_log = logging.getLogger("server")  # its errors reach stderr through the bench's report only
    for handler in [h for h in server_log.handlers if getattr(h, "_riverpatrol", False)]:
        server_log.removeHandler(handler)
    server_log.propagate = True
    with app.app_context(), contextlib.redirect_stdout(sys.stderr):
        flask_migrate.upgrade()
        load_demo()
        db.session.remove()
    return app


class Accounts:
    """Bearer tokens of the three demo accounts, restored when an example signs one out."""

    def __init__(self, app, base: str) -> None:
        self.app, self.base = app, base
        self.http = requests.Session()
        self.tokens: dict[str, str] = {}
        for role in ROLES:
            self.login(role)

    def login(self, role: str) -> None:
        from server.demo import DEMO_PASSWORD

        r = self.http.post(self.base + "/api/v1/auth/login", timeout=30,
                           json={"phone": ROLES[role], "password": DEMO_PASSWORD, "device_id": f"fuzz-{role}"})
        r.raise_for_status()
        self.tokens[role] = r.json()["access_token"]

    def restore(self) -> None:
        """Sign in again any account an example signed out, deactivated or gave a new password."""
        lost = [role for role, token in self.tokens.items()
                if self.http.get(self.base + "/api/v1/me", timeout=30,
                                 headers={"Authorization": f"Bearer {token}"}).status_code == 401]
        if not lost:
            return
        from sqlalchemy import select

        from server.auth.models import User
        from server.auth.passwords import hash_password
        from server.demo import DEMO_PASSWORD
        from server.extensions import db

        with self.app.app_context():
            for user in db.session.scalars(select(User).where(User.phone.in_([ROLES[r] for r in lost]))):
                user.active = True
                user.password_hash = hash_password(DEMO_PASSWORD)
            db.session.commit()
            db.session.remove()
        for role in lost:
            self.login(role)


def fuzz(engine: str, max_examples: int, seed: int, only: str = "", coverage: int = 30) -> tuple[int, int, int]:
    """Fuzz every operation on one engine; (operations, requests, 5xx)."""
    import hypothesis
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from werkzeug.serving import make_server

    # a photo's chunks (PATCH /photos/{uuid}, tus-like) are raw bytes
    schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
    log = ServerLog()
    logging.getLogger().addHandler(log)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{engine}-") as tmpdir, database(engine, Path(tmpdir)) as url:
        tmp = Path(tmpdir)
        started = time.monotonic()
        app = make_app(url, tmp)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            accounts = Accounts(app, base)
            schema = schemathesis.openapi.from_url(base + "/api/v1/openapi.json")
            operations = [result.ok() for result in schema.get_all_operations()]
            operations = [op for op in operations if only in f"{op.method.upper()} {op.path}"]
            print(f"[{engine}] ready in {time.monotonic() - started:.1f} s; {len(operations)} operations",
                  file=sys.stderr)
            session = CountingSession()
            failures: set[tuple[str, str, int]] = set()

            def examples(op, mode, disruptive):
                @hypothesis.seed(seed)
                @settings(max_examples=max_examples, deadline=None, database=None, derandomize=False,
                          phases=[Phase.explicit, Phase.generate], print_blob=False,
                          suppress_health_check=list(HealthCheck))
                @given(case=op.as_strategy(generation_mode=mode))
                def run(case):
                    send(op, case, disruptive)

                return run

            def send(op, case, disruptive):
                for role in ROLES:
                    try:
                        response = case.call(base_url=base, session=session, timeout=TIMEOUT,
                                             headers={"Authorization": f"Bearer {accounts.tokens[role]}"})
                    except requests.Timeout:
                        hung(engine, role, case, log.take(), failures)
                        session.sent += 1
                        session.server_errors += 1  # a gateway would answer 504
                        continue
                    if response.status_code >= 500:
                        report(engine, role, case, response, log.take(), failures)
                    if disruptive:
                        accounts.restore()

            modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
            for op in operations:
                disruptive = any(part in op.path for part in DISRUPTIVE) and op.method.upper() != "GET"
                # schemathesis' coverage phase first: boundaries, wrong types, missing fields, odd strings
                try:
                    cases = schema.iter_coverage_cases(
                        op, generation_modes=modes,
                        generation_config=schema.config.generation_for(operation=op, phase="coverage"))
                    for case in itertools.islice(cases, coverage):
                        send(op, case, disruptive)
                except Exception as exc:  # keep going: one operation must not end the run
                    print(f"[{engine}] {op.method.upper()} {op.path} (coverage): generation failed: "
                          f"{type(exc).__name__}: {exc}", file=sys.stderr)
                for mode in modes:
                    try:
                        examples(op, mode, disruptive)()
                    except hypothesis.errors.Unsatisfiable:
                        pass  # no negative example exists for an operation without inputs
                    except Exception as exc:  # keep going: one operation must not end the run
                        print(f"[{engine}] {op.method.upper()} {op.path} ({mode.value}): generation failed: "
                              f"{type(exc).__name__}: {exc}", file=sys.stderr)
            print(f"[{engine}] {session.sent} requests, {session.server_errors} 5xx "
                  f"({len(failures)} distinct) in {time.monotonic() - started:.1f} s", file=sys.stderr)
            return len(operations), session.sent, session.server_errors
        finally:
            server.shutdown()
            thread.join()
            from server.extensions import db

            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            logging.getLogger().removeHandler(log)


def hung(engine, role, case, server_log: str, failures: set) -> None:
    import faulthandler

    failures.add((case.operation.method.upper(), case.operation.path, "no answer"))
    print(f"[{engine}] no answer in {TIMEOUT} s as {role}: {case.operation.method.upper()} {case.formatted_path}"
          f" query={case.query!r} body={case.body!r}"[:3000], file=sys.stderr)
    print(server_log, file=sys.stderr)
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)


def report(engine, role, case, response, server_log: str, failures: set) -> None:
    """One 5xx on stderr: the request, the answer and (once per operation and error) the traceback."""
    request = response.request
    error = server_log.strip().splitlines()[-1] if server_log.strip() else "(no server log)"
    key = (case.operation.method.upper(), case.operation.path, error)
    first = key not in failures
    failures.add(key)
    body = request.body
    if isinstance(body, bytes):
        body = body[:2000].decode("utf-8", "backslashreplace")
    lines = [f"[{engine}] 5xx {response.status_code} as {role}: {request.method} {request.url}"[:3000],
             f"  body: {body!r}"[:3000], f"  answer: {response.text[:500]}", f"  error: {error}"]
    if first:
        lines.append(server_log)
    print("\n".join(lines), file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["spatialite", "postgis"], action="append",
                        help="database engine (repeatable); default: both")
    parser.add_argument("--max-examples", type=int, default=None,
                        help="examples per operation and mode (default: 10 per engine on both, 20 on one)")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--coverage", type=int, default=40,
                        help="at most this many cases per operation from schemathesis' coverage phase")
    parser.add_argument("--only", default="", help="fuzz only operations whose 'METHOD /path' contains this")
    args = parser.parse_args()
    engines = args.engine or ["spatialite", "postgis"]
    max_examples = args.max_examples or (20 if len(engines) == 1 else 10)
    operations = requests_sent = errors = 0
    for engine in engines:
        ops, sent, bad = fuzz(engine, max_examples, args.seed, args.only, args.coverage)
        operations, requests_sent, errors = max(operations, ops), requests_sent + sent, errors + bad
    print(f"fuzz_operations: {operations}")
    print(f"fuzz_requests: {requests_sent}")
    print(f"fuzz_5xx: {errors}")


if __name__ == "__main__":
    os.environ.setdefault("RIVERPATROL_ENV", "development")
    main()
