"""Layered fixtures: engine -> migrated database -> app -> live HTTP server -> signed-in clients.

Every test that touches the database runs on SpatiaLite and on PostGIS. Databases are
built once per engine by running the migrations (never create_all), optionally with the
demo county, and each test gets its own copy: a file copy on SQLite, CREATE DATABASE ...
TEMPLATE on PostgreSQL.
"""
from __future__ import annotations

import itertools
import os
import shutil
import threading
from collections import Counter, defaultdict
from pathlib import Path

import flask_migrate
import pytest
import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

from server import create_app
from server.db import engine_info
from server.demo import DEMO_PASSWORD, load_demo
from server.extensions import db

from .one_clock import share_fake_clock
from .pgcluster import Cluster

share_fake_clock()

ENGINES = [e for e in os.environ.get("RIVERPATROL_TEST_ENGINES", "spatialite,postgis").split(",") if e]
TEST_CONFIG = {
    "PASSWORD_HASH_TIME_COST": 1,  # hashing is deliberately slow; tests need many users
    "PASSWORD_HASH_MEMORY_KIB": 1024,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
}
DATA = Path(__file__).parent / "data"
ENGINE_VERSIONS: dict[str, str] = {}
_RESULTS: dict[str, Counter] = defaultdict(Counter)


def pytest_generate_tests(metafunc):
    if "engine_name" in metafunc.fixturenames:
        metafunc.parametrize("engine_name", ENGINES, scope="session")


def make_app(url: str, **overrides):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, **TEST_CONFIG, **overrides})


def _build(url: str, demo: bool) -> None:
    app = make_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        if demo:
            load_demo()
        info = engine_info()
        ENGINE_VERSIONS[info["spatial"]] = (
            f"{info['spatial']} {info['spatial_version']} on {info['engine']} {info['engine_version']}")
        db.session.remove()
        db.engine.dispose()


class SpatiaLiteDatabases:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.counter = itertools.count()

    def template(self, name: str, demo: bool) -> Path:
        path = self.root / f"template-{name}.sqlite"
        if not path.exists():
            _build(f"sqlite:///{path}", demo)
        return path

    def fresh(self, name: str, demo: bool) -> str:
        src = self.template(name, demo)
        dest = self.root / f"test-{next(self.counter)}.sqlite"
        shutil.copyfile(src, dest)
        return f"sqlite:///{dest}"

    def drop(self, url: str) -> None:
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)


class PostGISDatabases:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.admin = sa.create_engine(cluster.url(), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        self.templates: set[str] = set()
        self.counter = itertools.count()

    def _exec(self, sql: str, dbname: str = "postgres") -> None:
        engine = self.admin if dbname == "postgres" else sa.create_engine(
            self.cluster.url(dbname), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            conn.exec_driver_sql(sql)

    def template(self, name: str, demo: bool) -> str:
        tname = f"template_{name}"
        if tname not in self.templates:
            self._exec(f"CREATE DATABASE {tname}")
            self._exec("CREATE EXTENSION postgis", tname)
            _build(self.cluster.url(tname), demo)
            self.templates.add(tname)
        return tname

    def fresh(self, name: str, demo: bool) -> str:
        tname = self.template(name, demo)
        dbname = f"test_{next(self.counter)}"
        self._exec(f"CREATE DATABASE {dbname} TEMPLATE {tname} STRATEGY FILE_COPY")
        return self.cluster.url(dbname)

    def drop(self, url: str) -> None:
        self._exec(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    made: dict[str, object] = {}
    cluster: list[Cluster] = []

    def get(engine_name: str):
        if engine_name not in made:
            if engine_name == "spatialite":
                made[engine_name] = SpatiaLiteDatabases(tmp_path_factory.mktemp("spatialite"))
            elif engine_name == "postgis":
                cluster.append(Cluster().start())
                made[engine_name] = PostGISDatabases(cluster[0])
            else:
                raise ValueError(engine_name)
        return made[engine_name]

    yield get
    for c in cluster:
        c.stop()


@pytest.fixture
def fresh_db(engine_name, databases):
    """Factory: a new database on this test's engine, empty (migrated) or with the demo county."""
    made = []

    def fresh(demo: bool) -> str:
        store = databases(engine_name)
        url = store.fresh("demo" if demo else "empty", demo)
        made.append(url)
        return url

    yield fresh
    for url in made:
        databases(engine_name).drop(url)


def _app(url: str, photo_dir: Path, **overrides):
    app = make_app(url, PHOTO_DIR=str(photo_dir), BASEMAP_DIR=str(photo_dir.parent / "basemaps"), **overrides)
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    db.engine.dispose()
    ctx.pop()


@pytest.fixture
def app(fresh_db, tmp_path):
    """An app on an empty, migrated database; its context is pushed for direct queries."""
    yield from _app(fresh_db(demo=False), tmp_path / "photos")


@pytest.fixture
def demo_app(fresh_db, tmp_path):
    """An app on a database holding the demo county."""
    yield from _app(fresh_db(demo=True), tmp_path / "photos")


class Client:
    """Talks to a live server over HTTP, as the phone and the console do."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self._tokens: dict[str, str] = {}

    def request(self, method: str, path: str, token: str | None = None, **kw) -> requests.Response:
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.request(method, self.base + path, headers=headers, timeout=30, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def login(self, phone: str, password: str = DEMO_PASSWORD, device: str = "pytest") -> dict:
        r = self.post("/api/v1/auth/login", json={"phone": phone, "password": password, "device_id": device})
        assert r.status_code == 200, r.text
        return r.json()

    def token(self, phone: str) -> str:
        """An access token for ``phone``, signed in once per test."""
        if phone not in self._tokens:
            self._tokens[phone] = self.login(phone)["access_token"]
        return self._tokens[phone]


def _serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Client(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def api(demo_app):
    """A live HTTP server on the demo county."""
    yield from _serve(demo_app)


@pytest.fixture
def empty_api(app):
    """A live HTTP server on an empty database."""
    yield from _serve(app)


@pytest.fixture
def bucket(monkeypatch):
    """An S3 API on loopback (moto's server) with an empty bucket ``photos``."""
    import boto3
    from moto.server import ThreadedMotoServer

    for key, value in {"AWS_ACCESS_KEY_ID": "riverpatrol", "AWS_SECRET_ACCESS_KEY": "riverpatrol-secret",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    requests.post(endpoint + "/moto-api/reset", timeout=10)  # moto's buckets live as long as the process
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="photos")
    yield {"endpoint": endpoint, "client": client}
    server.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Each report names its engine (and the engine's version), so the summary counts per engine even
    when the tests ran in pytest-xdist's workers (their reports reach the main process serialized)."""
    report = yield
    callspec = getattr(item, "callspec", None)
    engine = callspec.params.get("engine_name") if callspec else None
    if engine:
        report.user_properties.append(("engine", engine))
        if engine in ENGINE_VERSIONS:
            report.user_properties.append(("engine_version", ENGINE_VERSIONS[engine]))
    return report


def pytest_runtest_logreport(report):
    props = dict(report.user_properties)
    engine = props.get("engine")
    if engine and (report.when == "call" or report.outcome != "passed"):
        _RESULTS[engine][report.outcome] += 1
    if "engine_version" in props:
        ENGINE_VERSIONS.setdefault(engine, props["engine_version"])


def pytest_terminal_summary(terminalreporter):
    if not _RESULTS:
        return
    terminalreporter.section("database engines")
    for engine in ENGINES:
        counts = _RESULTS.get(engine)
        if counts:
            detail = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
            terminalreporter.write_line(f"{engine}: {detail}  ({ENGINE_VERSIONS.get(engine, '?')})")


@pytest.fixture
def browser():
    """Headless Chromium (the console's browser tests)."""
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                "--lang=zh-CN"):
        options.add_argument(arg)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver") or
                                                               "/usr/bin/chromedriver"))
    driver.implicitly_wait(5)
    yield driver
    driver.quit()
