"""Production set-up: gunicorn behind the shipped nginx configuration, JSON logs with request ids,
readiness, photos on S3-compatible storage, background jobs on Redis, a full photo disk and an
unreachable database answered as errors the phone retries."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from server.demo import DEMO_PASSWORD

from .conftest import TEST_CONFIG, _serve, make_app
from .one_clock import real_clock_env
from .photos import jpeg_with_exif, send, start, upload
from .services import free_port, start_nginx

serve = contextlib.contextmanager(_serve)

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
INSP = "13900000101"


def _wait_http(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except (requests.ConnectionError, requests.Timeout):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def _live(url: str, photo_dir: Path, **overrides):
    from server.extensions import db

    app = make_app(url, PHOTO_DIR=str(photo_dir), **overrides)
    ctx = app.app_context()
    ctx.push()
    try:
        with serve(app) as api:
            yield app, api
    finally:
        db.session.remove()
        db.engine.dispose()
        ctx.pop()


def _server_env(db_url: str, tmp: Path, **extra) -> dict:
    return {**os.environ, "RIVERPATROL_DATABASE_URL": db_url, "RIVERPATROL_INSTANCE": str(tmp / "instance"),
            "RIVERPATROL_PHOTO_DIR": str(tmp / "photos"), "RIVERPATROL_SECRET_KEY": TEST_CONFIG["SECRET_KEY"],
            "RIVERPATROL_PASSWORD_TIME_COST": "1", "RIVERPATROL_PASSWORD_MEMORY_KIB": "1024", **extra}


@pytest.fixture
def production(engine_name, fresh_db, tmp_path):
    """gunicorn (deploy/gunicorn.conf.py, production settings, JSON logs) behind deploy/nginx."""
    app_port, web_port = free_port(), free_port()
    env = _server_env(fresh_db(demo=True), tmp_path, RIVERPATROL_ENV="production",
                      GUNICORN_BIND=f"127.0.0.1:{app_port}", GUNICORN_WORKERS="2")
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        gunicorn = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"], cwd=ROOT, env=env,
                                    stdout=out, stderr=subprocess.STDOUT)
    nginx = start_nginx(tmp_path, web_port, app_port)  # `nginx -t` first: the shipped file must pass
    try:
        _wait_http(f"http://127.0.0.1:{app_port}/api/v1/health/live")
        _wait_http(f"http://127.0.0.1:{web_port}/api/v1/health/live")
        yield {"base": f"http://127.0.0.1:{web_port}", "log": log}
    finally:
        nginx.terminate()
        gunicorn.terminate()
        nginx.wait(20)
        gunicorn.wait(40)


def _log_lines(path: Path) -> list[dict]:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_gunicorn_behind_nginx_serves_logs_and_caps_bodies(engine_name, production):
    base = production["base"]
    r = requests.get(base + "/api/v1/health/ready", timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ready"
    assert r.json()["checks"]["database"]["ok"]
    rid = r.headers["X-Request-ID"]  # nginx names the request; the app logs it under that name

    login = requests.post(base + "/api/v1/auth/login", json={"phone": INSP, "password": DEMO_PASSWORD,
                                                             "device_id": "prod-test"}, timeout=10)
    assert login.status_code == 200, login.text
    token = login.json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    cards = requests.get(base + "/api/v1/me/cards", headers=auth, timeout=10)
    assert cards.status_code == 200 and cards.json()

    # a photo in chunks through the photos location (one app server per photo)
    data = jpeg_with_exif(size=(1200, 900))
    client = _Http(base)
    state = upload(client, token, data)
    assert state["complete"] and state["ready"]

    # a body over the cap is refused by nginx, in the API's JSON, before any worker sees it
    big = requests.post(base + "/api/v1/patrols", data=b"x" * (9 * 1024 * 1024), headers=auth, timeout=30)
    assert big.status_code == 413
    assert big.json()["code"] == "payload_too_large" and big.json()["message_en"]
    # the caps are per route, as the app's: 64 KB to sign in, 256 KB a photo chunk, a page for the console
    for path, size in (("/api/v1/auth/login", 70_000), (f"/api/v1/photos/{state['uuid']}", 300_000)):
        r = requests.post(base + path, data=b"x" * size, headers={"Content-Type": "application/json"}, timeout=30)
        assert r.status_code == 413 and r.json()["code"] == "payload_too_large", path
    r = requests.post(base + "/console/login", data={"phone": "1" * 70_000}, timeout=30)
    assert r.status_code == 413 and "提交的数据过大" in r.text and r.headers["Content-Type"].startswith("text/html")
    upload_sized = requests.post(base + "/api/v1/patrols", json={"track": "A" * 1_000_000}, headers=auth, timeout=30)
    assert upload_sized.status_code == 422 and upload_sized.json()["code"] == "validation_error"  # reached the app

    time.sleep(0.5)
    lines = _log_lines(production["log"])
    ready_line = [x for x in lines if x.get("request_id") == rid]
    assert ready_line and ready_line[0]["path"] == "/api/v1/health/ready" and ready_line[0]["status"] == 200
    assert ready_line[0]["logger"] == "server.access" and ready_line[0]["ts"].endswith("+00:00")
    mine = [x for x in lines if x.get("path") == "/api/v1/me/cards"]
    assert mine and mine[0]["user_id"] is not None and mine[0]["remote"] == "127.0.0.1"
    text = production["log"].read_text(encoding="utf-8")
    assert DEMO_PASSWORD not in text and token not in text  # nothing secret in the logs
    assert [x["status"] for x in lines if x.get("path") == "/api/v1/patrols"] == [422]  # no 413 reached the app
    assert not [x for x in lines if x.get("path") in ("/api/v1/auth/login", "/console/login")
                and x.get("status") == 413]


class _Http:
    """The minimal client tests/photos.py needs, over plain HTTP."""

    def __init__(self, base: str) -> None:
        self.base = base

    def request(self, method, path, token=None, **kw):
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.base + path, headers=headers, timeout=30, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)


# ---- photos on S3-compatible storage -------------------------------------------------------

def test_photos_on_s3_compatible_storage(engine_name, fresh_db, tmp_path, bucket):
    with _live(fresh_db(demo=True), tmp_path / "spool", PHOTO_STORAGE="s3", S3_BUCKET="photos",
                      S3_ENDPOINT_URL=bucket["endpoint"], S3_PREFIX="county-610112") as (app, api):
        token = api.token(INSP)
        data = jpeg_with_exif(size=(2000, 1500))
        state = upload(api, token, data)
        assert state["complete"] and state["ready"] and state["taken_at"]
        uuid = state["uuid"]
        keys = {o["Key"] for o in bucket["client"].list_objects_v2(Bucket="photos")["Contents"]}
        assert keys == {f"county-610112/{kind}/{uuid[:2]}/{uuid}{ext}"
                        for kind, ext in (("original", ""), ("full", ".jpg"), ("thumb", ".jpg"))}
        original = bucket["client"].get_object(Bucket="photos", Key=f"county-610112/original/{uuid[:2]}/{uuid}")
        assert original["Body"].read() == data  # the phone's bytes, kept as evidence
        image = api.get(f"/api/v1/photos/{uuid}/image", token=token)
        assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"
        stored = bucket["client"].get_object(Bucket="photos", Key=f"county-610112/full/{uuid[:2]}/{uuid}.jpg")
        assert image.content == stored["Body"].read()
        # nothing of the finished photo stays on the app server's disk
        assert not [p for p in (tmp_path / "spool").rglob("*") if p.is_file()]
        assert api.get("/api/v1/health/ready").json()["checks"]["photo_storage"]["detail"]["bucket"] == "photos"


# ---- background jobs on Redis ----------------------------------------------------------------

@pytest.fixture
def redis_server(tmp_path):
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL,
                            env=real_clock_env())
    import redis

    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis(port=port).ping()
                break
            except redis.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield {"url": f"redis://127.0.0.1:{port}/0", "proc": proc}
    finally:
        proc.terminate()
        proc.wait(10)


def test_photo_processing_runs_on_the_worker(engine_name, fresh_db, tmp_path, redis_server):
    url = fresh_db(demo=True)
    with _live(url, tmp_path / "photos", JOBS_BACKEND="rq", REDIS_URL=redis_server["url"]) as (app, api):
        token = api.token(INSP)
        state = upload(api, token, jpeg_with_exif(size=(2000, 1500)))
        # the phone is done (every byte checked); the picture waits for the worker
        assert state["complete"] and not state["ready"]
        r = api.get(f"/api/v1/photos/{state['uuid']}/image", token=token)
        assert r.status_code == 409 and r.json()["code"] == "photo.not_complete"
        assert api.get("/api/v1/health/ready").json()["checks"]["jobs"]["detail"]["queued"] == 1

        worker = subprocess.run([str(VENV_BIN / "riverpatrol"), "worker", "--burst"], cwd=ROOT, timeout=120,
                                env=_server_env(url, tmp_path, RIVERPATROL_JOBS="rq",
                                                RIVERPATROL_REDIS_URL=redis_server["url"]),
                                capture_output=True, text=True)
        assert worker.returncode == 0, worker.stderr
        after = api.get(f"/api/v1/photos/{state['uuid']}", token=token).json()
        assert after["ready"] and after["taken_at"] and after["exif_lat"]
        image = api.get(f"/api/v1/photos/{state['uuid']}/image", token=token)
        assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"

        # the queue gone: the job runs in the request instead of waiting for a queue that is down
        redis_server["proc"].terminate()
        redis_server["proc"].wait(10)
        later = upload(api, token, jpeg_with_exif(size=(800, 600)))
        assert later["ready"]
        ready = api.get("/api/v1/health/ready")
        assert ready.status_code == 503 and not ready.json()["checks"]["jobs"]["ok"]


# ---- a full photo disk ----------------------------------------------------------------------

def _photo_count(app) -> int:
    from server.extensions import db
    from server.photos.models import Photo

    return db.session.scalar(sa.select(sa.func.count()).select_from(Photo).where(Photo.status == "complete"))


def test_photo_disk_below_its_reserve_refuses_and_recovers(engine_name, api, demo_app):
    token = api.token(INSP)
    data = jpeg_with_exif(size=(2400, 1800))
    pid, _ = start(api, token, data)
    first = send(api, token, pid, data, 0)
    assert first.status_code == 200
    demo_app.config["PHOTO_MIN_FREE_BYTES"] = shutil.disk_usage(demo_app.config["PHOTO_DIR"]).total
    refused = send(api, token, pid, data, first.json()["offset"])
    assert refused.status_code == 507, refused.text
    assert refused.json()["code"] == "photo.storage_full" and refused.headers["Retry-After"]
    assert "手机" in refused.json()["message"]
    assert api.get(f"/api/v1/photos/{pid}", token=token).json()["offset"] == first.json()["offset"]
    assert api.get("/api/v1/health/ready").status_code == 503

    demo_app.config["PHOTO_MIN_FREE_BYTES"] = 0  # space is back: the phone resumes where it stopped
    offset = first.json()["offset"]
    while offset < len(data):
        r = send(api, token, pid, data, offset)
        assert r.status_code == 200, r.text
        offset = r.json()["offset"]
    assert r.json()["ready"]
    assert api.get(f"/api/v1/photos/{pid}/image", token=token).status_code == 200
    assert api.get("/api/v1/health/ready").status_code == 200


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 3 MB filesystem (tmpfs) for the photo directory: writes there can really fail with ENOSPC."""
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_really_full_disk_answers_storage_full_and_loses_nothing(engine_name, fresh_db, tiny_disk):
    with _live(fresh_db(demo=True), tiny_disk, PHOTO_MIN_FREE_BYTES=0) as (app, api):
        token = api.token(INSP)
        filler = tiny_disk / "filler"
        with open(filler, "wb") as fh, contextlib.suppress(OSError):  # fill the disk to the last block
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        data = jpeg_with_exif(size=(2400, 1800))
        pid, _ = start(api, token, data)
        r = send(api, token, pid, data, 0)
        assert r.status_code == 507, r.text
        assert r.json()["code"] == "photo.storage_full"
        assert api.get(f"/api/v1/photos/{pid}", token=token).json()["offset"] == 0
        before = _photo_count(app)

        filler.unlink()  # an operator makes room
        state = {"offset": 0, "complete": False}
        while not state["complete"]:
            r = send(api, token, pid, data, state["offset"])
            assert r.status_code == 200, r.text
            state = r.json()
        assert state["ready"] and _photo_count(app) == before + 1
        assert api.get(f"/api/v1/photos/{pid}/image", token=token).status_code == 200


# ---- the database unreachable ------------------------------------------------------------------

@contextlib.contextmanager
def _database_down(engine_name: str, url: str):
    """PostgreSQL refusing connections (as during a restart) / SQLite locked by another writer."""
    if engine_name == "postgis":
        base, dbname = url.rsplit("/", 1)
        admin = sa.create_engine(base + "/postgres", isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as conn:
            conn.exec_driver_sql(f"ALTER DATABASE {dbname} ALLOW_CONNECTIONS false")
            conn.exec_driver_sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{dbname}'")
        try:
            yield
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"ALTER DATABASE {dbname} ALLOW_CONNECTIONS true")
    else:
        import pysqlite3.dbapi2 as sqlite

        holder = sqlite.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()


def test_database_unreachable_is_503_and_the_retry_succeeds(engine_name, fresh_db, tmp_path):
    url = fresh_db(demo=True)
    with _live(url, tmp_path / "photos", SQLITE_BUSY_TIMEOUT_MS=500) as (app, api):
        api.token(INSP)  # signed in before the outage
        with _database_down(engine_name, url):
            # a write (signing in records the device): SQLite's readers are not blocked by a writer (WAL)
            r = api.post("/api/v1/auth/login", json={"phone": INSP, "password": DEMO_PASSWORD, "device_id": "d2"})
            assert r.status_code == 503, r.text
            assert r.json()["code"] == "service.unavailable" and r.headers["Retry-After"] == "5"
            if engine_name == "postgis":  # no connection at all; SQLite still reads, and is ready for reads
                ready = api.get("/api/v1/health/ready")
                assert ready.status_code == 503 and not ready.json()["checks"]["database"]["ok"]
            assert api.get("/api/v1/health/live").status_code == 200  # the process is fine: do not restart it
        again = api.post("/api/v1/auth/login", json={"phone": INSP, "password": DEMO_PASSWORD, "device_id": "d2"})
        assert again.status_code == 200, again.text
        assert api.get("/api/v1/me/cards", token=again.json()["access_token"]).json()
        assert api.get("/api/v1/health/ready").status_code == 200


# ---- the scheduled runs, as cron calls them ---------------------------------------------------

def _enqueue(url: str, tmp: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "riverpatrol"), "jobs", "enqueue", *args], cwd=ROOT, timeout=300,
                          env=_server_env(url, tmp), capture_output=True, text=True)


def test_cron_runs_lock_last_month_once_and_make_partitions(engine_name, fresh_db, tmp_path):
    import datetime as dt

    from shared_models.clock import LOCAL_TZ

    url = fresh_db(demo=True)
    first = dt.datetime.now(LOCAL_TZ).date().replace(day=1)
    last_month = (first - dt.timedelta(days=1)).strftime("%Y-%m")
    for _ in range(2):  # cron may fire twice (a retry, a second server): one lock
        run = _enqueue(url, tmp_path, "assessment.lock_last_month")
        assert run.returncode == 0, run.stderr
        assert "assessment.lock_last_month: inline" in run.stdout
    engine = sa.create_engine(url.split("?")[0], poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        locks = conn.exec_driver_sql(
            "SELECT o.code, l.period FROM assessment_locks l JOIN org_units o ON o.id = l.org_unit_id").all()
    assert locks == [("610112", last_month)]

    ahead = _enqueue(url, tmp_path, "patrols.partitions", "--arg", "ahead=6")
    assert ahead.returncode == 0, ahead.stderr
    if engine_name == "postgis":
        far = dt.date(first.year + (first.month + 5) // 12, (first.month + 5) % 12 + 1, 1)
        with engine.connect() as conn:
            names = set(conn.exec_driver_sql(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'patrols'::regclass").scalars())
        assert f"patrols_{far:%Y_%m}" in names

    unknown = _enqueue(url, tmp_path, "no.such.job")
    assert unknown.returncode == 2 and "未知任务" in unknown.stderr and "cases.escalate" in unknown.stderr
