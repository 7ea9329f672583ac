"""Load, with faults: simulated phones syncing patrols with photos against the production set-up.

The production set-up runs as it would in a county machine room, on loopback: nginx
(deploy/nginx/riverpatrol.conf) in front of gunicorn (deploy/gunicorn.conf.py) on
PostgreSQL + PostGIS, photos on their own filesystem (a tmpfs of a fixed size), photo
processing on an RQ worker with Redis. This process is the load: ``--phones`` phones
(threads), each signing in once and then, at random (exponential gaps averaging
``--interval`` seconds), finishing a patrol with two photos that its outbox sends as the
field app does: each photo (start, chunks from the server's offset), then the patrol; a
failed call is retried with backoff, nothing is dropped. The default, 500 phones with a
patrol and two photos every 5 minutes each, is 100 patrols and 200 photos a minute: a
county's whole week of patrols (500 inspectors, one or two a week each) in ten minutes.

Faults during the run:
- PostgreSQL stopped (``pg_ctl stop -m fast``) at 35% of the run and started again
  ``--db-down-for`` seconds later;
- the photo filesystem filled to the last block at 65% for ``--full-for`` seconds, then freed.

At the end the phones stop creating and empty their outboxes; then every item a phone
created is looked up: each patrol stored exactly once, each photo complete with its files.
Prints ``name: value`` lines; ``load_errors`` counts answers a phone should never see
(any 5xx or refused connection outside the fault windows, any 4xx but a resumable offset
mismatch); ``load_lost_items`` what a phone created that the server does not hold.

    python bench/load.py                       # 500 phones, 10 minutes (make bench)
    python bench/load.py --phones 50 --seconds 60
"""
from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runnable from a checkout without installing
VENV_BIN = Path(sys.executable).parent
PASSWORD = "Load@2026"
CHUNK = 256 * 1024


from tests.services import free_port, start_nginx  # noqa: E402  (after the path is set)


def _wait(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up")
        time.sleep(0.2)


# ---- the county ------------------------------------------------------------------------------

def seed(url: str, phones: int) -> list[dict]:
    """The demo county plus ``phones`` inspectors, each with a card on one village's segments."""
    import flask_migrate
    from geoalchemy2.shape import to_shape
    from sqlalchemy import select

    from server import create_app
    from server.auth.users import create_user
    from server.cards.models import ResponsibilityCard
    from server.cards.service import issue_card
    from server.demo import load_demo
    from server.extensions import db
    from server.grids.models import OrgUnit, RiverSegment
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_TIME_COST": 1,
                      "PASSWORD_HASH_MEMORY_KIB": 1024, "SECRET_KEY": "load-bench-secret-key-0123456789abcdef"})
    out = []
    with app.app_context():
        flask_migrate.upgrade()
        load_demo()
        supervisor_of = {c.grid_id: c.supervisor_id for c in db.session.scalars(select(ResponsibilityCard))}
        villages = [u for u in db.session.scalars(select(OrgUnit).where(OrgUnit.level == "village")
                                                  .order_by(OrgUnit.code))
                    if db.session.scalar(select(RiverSegment.id).where(RiverSegment.grid_id == u.id).limit(1))]
        for i in range(phones):
            village = villages[i % len(villages)]
            segs = list(db.session.scalars(select(RiverSegment).where(RiverSegment.grid_id == village.id)
                                           .order_by(RiverSegment.code)))
            seg = segs[(i // len(villages)) % len(segs)]
            user = create_user(None, phone=f"137{i:08d}", name=f"巡查员{i:03d}", role="inspector",
                               org_unit_id=village.id, password=PASSWORD)
            db.session.flush()
            card = issue_card(None, {"inspector_id": user.id, "grid_id": village.id, "segment_ids": [seg.id],
                                     "supervisor_id": supervisor_of.get(village.id), "duties": ["巡查河道"],
                                     "frequency_summary": "每周至少1次", "valid_from": dt.date(2026, 1, 1),
                                     "reason": "负载测试 load bench"})
            db.session.flush()
            out.append({"phone": user.phone, "card_id": card.id, "segment_id": seg.id, "line": to_shape(seg.geom)})
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return out


def photo_pool(n: int = 12) -> list[bytes]:
    """Camera-like JPEGs as the phone queues them (shrunk to 1600 px), with EXIF time and place,
    and grain so they weigh what a real photo does (about 300-400 KB: two chunks)."""
    import io

    from PIL import Image

    from tests.photos import jpeg_with_exif

    rng = np.random.default_rng(7)
    out = []
    for k in range(n):
        base = Image.open(io.BytesIO(jpeg_with_exif(size=(1600, 1200)))).convert("RGB")
        grain = rng.normal(0, 9, (1200, 1600, 3))
        pixels = np.clip(np.asarray(base, dtype=np.float32) + grain + k, 0, 255).astype(np.uint8)
        exif = Image.open(io.BytesIO(jpeg_with_exif(size=(8, 8)))).getexif()
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, "JPEG", quality=78, exif=exif)
        out.append(buf.getvalue())
    return out


# ---- the phones ------------------------------------------------------------------------------

class Retry(Exception):
    pass


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.uploads: list[tuple[float, float, int]] = []  # (start, ms, status) of each patrol POST
        self.failures: list[tuple[float, str]] = []  # (time, what) of every retryable failure
        self.bad: list[tuple[float, str]] = []  # answers a phone should never get
        self.requests = 0
        self.created_patrols: set[str] = set()
        self.created_photos: dict[str, str] = {}  # uuid -> sha256
        self.acked_patrols: set[str] = set()
        self.acked_photos: set[str] = set()
        self.given_up: list[str] = []

    def note(self, attr: str, value) -> None:
        with self.lock:
            getattr(self, attr).append(value)


class Phone(threading.Thread):
    def __init__(self, base: str, me: dict, photos: list[bytes], interval: float, stats: Stats,
                 stop_creating: threading.Event, stop_all: threading.Event, seed: int) -> None:
        super().__init__(daemon=True)
        self.base, self.me, self.photos, self.interval = base, me, photos, interval
        self.stats, self.stop_creating, self.stop_all = stats, stop_creating, stop_all
        self.rng = random.Random(seed)
        self.http = requests.Session()
        self.token: str | None = None
        self.outbox: list[dict] = []
        self.made = 0

    # one call; retryable trouble raises Retry, the rest is returned
    def call(self, method: str, path: str, **kw) -> requests.Response:
        headers = kw.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            r = self.http.request(method, self.base + path, headers=headers, timeout=30, **kw)
        except requests.RequestException as exc:
            self.stats.note("failures", (time.time(), f"{method} {path.split('/')[3]} {type(exc).__name__}"))
            raise Retry() from None
        finally:
            with self.stats.lock:
                self.stats.requests += 1
        if r.status_code >= 500:  # when it was answered decides whether it fell in a fault window
            code, now = _code(r), time.time()
            self.stats.note("failures", (now, f"{method} {path.split('/')[3]} {r.status_code} {code}"))
            if r.status_code not in (502, 503, 504, 507):
                self.stats.note("bad", (now, f"{method} {path} {r.status_code} {r.text[:200]}"))
            raise Retry()
        return r

    def sign_in(self) -> None:
        while self.token is None and not self.stop_all.is_set():
            try:
                r = self.call("POST", "/api/v1/auth/login", json={
                    "phone": self.me["phone"], "password": PASSWORD, "device_id": f"load-{self.me['phone']}"})
            except Retry:
                time.sleep(self.rng.uniform(1, 3))
                continue
            if r.status_code != 200:
                self.stats.note("bad", (time.time(), f"login {r.status_code} {r.text[:200]}"))
                time.sleep(5)
                continue
            self.token = r.json()["access_token"]

    def plan(self, count: int) -> None:
        """The phone's patrols, walked before the run (each its own walk: its own GNSS error; the
        same walk sent again would rightly be flagged as a replay), so the run measures the server."""
        from shared_models.track import codec
        from tests.tracks import walk_along

        self.planned = []
        for k in range(count):
            begin = time.time() - 3 * 86400 + k * 2 * 3600 + self.rng.uniform(0, 600)
            walk = walk_along(self.me["line"], begin, seed=self.rng.randrange(1 << 30))
            self.planned.append({
                "uuid": str(uuid.uuid4()), "card_id": self.me["card_id"], "segment_ids": [self.me["segment_id"]],
                "started_at": dt.datetime.fromtimestamp(walk.t[0], dt.UTC).isoformat(),
                "ended_at": dt.datetime.fromtimestamp(walk.t[-1], dt.UTC).isoformat(),
                "track": base64.b64encode(codec.encode(walk)).decode(),
                "checklist": {"垃圾": "无", "排污口": "正常"}, "notes": "负载测试巡河"})

    def new_patrol(self) -> None:
        """The inspector ends a patrol: two photos and the patrol go into the outbox."""
        if self.made >= len(self.planned):
            return
        body = self.planned[self.made]
        self.made += 1
        patrol_uuid = body["uuid"]
        for _ in range(2):
            data = self.rng.choice(self.photos)
            pid = str(uuid.uuid4())
            sha = hashlib.sha256(data).hexdigest()
            self.outbox.append({"kind": "photo", "uuid": pid, "data": data, "sha256": sha,
                                "patrol_uuid": patrol_uuid})
            with self.stats.lock:
                self.stats.created_photos[pid] = sha
        self.outbox.append({"kind": "patrol", "uuid": patrol_uuid, "body": body})
        with self.stats.lock:
            self.stats.created_patrols.add(patrol_uuid)

    def send_photo(self, item: dict) -> None:
        data = item["data"]
        r = self.call("POST", "/api/v1/photos", json={"uuid": item["uuid"], "size": len(data),
                                                      "sha256": item["sha256"], "patrol_uuid": item["patrol_uuid"]})
        if r.status_code not in (200, 201):
            raise Bad(r)
        state = r.json()
        while not state["complete"]:
            offset = state["offset"]
            r = self.call("PATCH", f"/api/v1/photos/{item['uuid']}", data=data[offset:offset + CHUNK],
                          headers={"Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"})
            if r.status_code == 409 and _code(r) == "photo.offset_mismatch":  # a lost answer: resume
                state = {"offset": r.json()["offset"], "complete": False}
                continue
            if r.status_code != 200:
                raise Bad(r)
            state = r.json()
        with self.stats.lock:
            self.stats.acked_photos.add(item["uuid"])

    def send_patrol(self, item: dict) -> None:
        started = time.time()
        t0 = time.perf_counter()
        r = self.call("POST", "/api/v1/patrols", json=item["body"])
        ms = (time.perf_counter() - t0) * 1000
        self.stats.note("uploads", (started, ms, r.status_code))
        if r.status_code not in (200, 201):
            raise Bad(r)
        with self.stats.lock:
            self.stats.acked_patrols.add(item["uuid"])

    def run(self) -> None:
        time.sleep(self.rng.uniform(0, min(30.0, self.interval)))  # phones wake at different times
        self.sign_in()
        next_patrol = time.monotonic() + self.rng.expovariate(1 / self.interval)
        backoff = 1.0
        while not self.stop_all.is_set():
            now = time.monotonic()
            if not self.stop_creating.is_set() and now >= next_patrol:
                self.new_patrol()
                next_patrol = now + self.rng.expovariate(1 / self.interval)
            if not self.outbox:
                if self.stop_creating.is_set():
                    return
                self.stop_creating.wait(max(0.05, next_patrol - now))  # asleep until the next patrol
                continue
            item = self.outbox[0]
            try:
                (self.send_photo if item["kind"] == "photo" else self.send_patrol)(item)
            except Retry:
                time.sleep(self.rng.uniform(0.5, 1.0) * backoff)  # backoff with jitter, as the outbox does
                backoff = min(backoff * 2, 30.0)
                continue
            except Bad as exc:
                self.stats.note("bad", (time.time(), f"{item['kind']} {exc}"))
                self.stats.note("given_up", item["uuid"])
            backoff = 1.0
            self.outbox.pop(0)
        for item in self.outbox:
            self.stats.note("given_up", item["uuid"])


class Bad(Exception):
    def __init__(self, r: requests.Response) -> None:
        super().__init__(f"{r.request.method} {r.request.path_url} {r.status_code} {r.text[:200]}")


def _code(r: requests.Response) -> str:
    try:
        return r.json().get("code", "")
    except ValueError:
        return ""


# ---- the run ---------------------------------------------------------------------------------

def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--phones", type=int, default=500)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--interval", type=float, default=300, help="mean seconds between a phone's patrols")
    ap.add_argument("--full-for", type=float, default=60, help="seconds the photo disk stays full")
    ap.add_argument("--db-down-for", type=float, default=10, help="seconds PostgreSQL stays stopped")
    ap.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: its config's)")
    args = ap.parse_args()

    from tests.pgcluster import Cluster

    tmp = Path(tempfile.mkdtemp(prefix="riverpatrol-load-"))
    procs: list[subprocess.Popen] = []
    cluster = Cluster().start()
    disk = tmp / "photos"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4g", "tmpfs", str(disk)], check=True)
    try:
        _run(args, tmp, disk, cluster, procs)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["umount", "-l", str(disk)], check=False)
        if (tmp / "server.log").exists():
            shutil.copyfile(tmp / "server.log", "/tmp/riverpatrol-load-server.log")
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def _run(args, tmp: Path, disk: Path, cluster, procs: list) -> None:

    url = cluster.create_postgis_database("load")
    t = time.perf_counter()
    people = seed(url, args.phones)
    print(f"seeded {len(people)} inspectors in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    photos = photo_pool()

    redis_port, app_port = free_port(), free_port()
    procs.append(subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no", "--dir", str(tmp)], stdout=subprocess.DEVNULL))
    env = {**os.environ, "RIVERPATROL_ENV": "production", "RIVERPATROL_DATABASE_URL": url,
           "RIVERPATROL_SECRET_KEY": "load-bench-secret-key-0123456789abcdef", "RIVERPATROL_INSTANCE": str(tmp),
           "RIVERPATROL_PHOTO_DIR": str(disk), "RIVERPATROL_JOBS": "rq",
           "RIVERPATROL_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "RIVERPATROL_ACCESS_TOKEN_SECONDS": "7200",
           "RIVERPATROL_PASSWORD_TIME_COST": "1", "RIVERPATROL_PASSWORD_MEMORY_KIB": "1024",
           "RIVERPATROL_LOG_LEVEL": os.environ.get("RIVERPATROL_LOG_LEVEL", "WARNING"),
           "GUNICORN_BIND": f"127.0.0.1:{app_port}",
           **({"GUNICORN_WORKERS": str(args.workers)} if args.workers else {})}
    log = open(tmp / "server.log", "wb")  # noqa: SIM115 (open for the processes' lifetime)
    procs.append(subprocess.Popen([str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"], cwd=ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT))
    # background work yields to the phones, as deploy/systemd/riverpatrol-worker.service sets (Nice=10)
    procs.append(subprocess.Popen(["nice", "-n", "10", str(VENV_BIN / "riverpatrol"), "worker"], cwd=ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT))
    _wait(f"http://127.0.0.1:{app_port}/api/v1/health/ready")
    web_port = free_port()
    procs.append(start_nginx(tmp, web_port, app_port))
    base = f"http://127.0.0.1:{web_port}"  # the phones talk to nginx, as in production
    _wait(base + "/api/v1/health/ready")

    stats = Stats()
    stop_creating, stop_all = threading.Event(), threading.Event()
    phones = [Phone(base, me, photos, args.interval, stats, stop_creating, stop_all, seed=i)
              for i, me in enumerate(people)]
    t = time.perf_counter()
    per_phone = int(args.seconds / args.interval * 3) + 5  # far more than a phone can use in the run
    for p in phones:
        p.plan(per_phone)
    print(f"walked {per_phone * len(phones)} patrols in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    windows: list[tuple[float, float]] = []
    began = time.time()
    for p in phones:
        p.start()

    def faults() -> None:
        time.sleep(args.seconds * 0.35)
        t0 = time.time()  # a restart as an upgrade or a failover makes it: down for a while, then back
        cluster._run(f"{cluster.bindir}/pg_ctl", "-D", cluster.data, "-m", "fast", "-w", "stop")
        time.sleep(args.db_down_for)
        cluster._run(f"{cluster.bindir}/pg_ctl", "-D", cluster.data, "-l", os.path.join(cluster.root, "log"),
                     "-o", cluster.opts, "-w", "-t", "60", "start")
        windows.append((t0, time.time() + 10))
        print(f"postgresql down for {time.time() - t0:.1f} s", file=sys.stderr)
        time.sleep(max(0.0, began + args.seconds * 0.65 - time.time()))
        t0 = time.time()
        filler = disk / "filler"
        with open(filler, "wb") as fh:
            try:
                while True:
                    fh.write(b"\0" * (1 << 20))
            except OSError:
                pass
        print(f"photo disk full at {time.time() - began:.0f} s, free {shutil.disk_usage(disk).free} bytes",
              file=sys.stderr)
        time.sleep(args.full_for)
        filler.unlink()
        windows.append((t0, time.time() + 10))
        print(f"photo disk freed at {time.time() - began:.0f} s", file=sys.stderr)

    injector = threading.Thread(target=faults, daemon=True)
    injector.start()
    time.sleep(max(0.0, began + args.seconds - time.time()))
    stop_creating.set()
    drain_deadline = time.time() + 300
    for p in phones:
        p.join(max(0.0, drain_deadline - time.time()))
    stop_all.set()
    injector.join(5)
    drained_s = time.time() - began - args.seconds

    # photo jobs: wait for the worker to finish what the run queued (retried after the full disk)
    deadline = time.time() + 300
    while time.time() < deadline and _processing(url) > 0:
        time.sleep(2)

    report(stats, url, disk, windows, began, args, drained_s)


def _processing(url: str) -> int:
    import sqlalchemy as sa

    with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM photos WHERE status = 'processing'").scalar()


def report(stats: Stats, url: str, disk: Path, windows, began, args, drained_s) -> None:
    import sqlalchemy as sa

    def in_fault(t: float) -> bool:
        return any(a <= t <= b for a, b in windows)

    with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as conn:
        patrol_rows = conn.exec_driver_sql("SELECT uuid, count(*) FROM patrols GROUP BY uuid").all()
        photo_rows = conn.exec_driver_sql("SELECT uuid, status, sha256 FROM photos").all()
    stored_patrols = {u: n for u, n in patrol_rows}
    stored_photos = {u: (s, h) for u, s, h in photo_rows}
    lost = [u for u in stats.created_patrols if stored_patrols.get(u, 0) == 0]
    duplicates = sum(n - 1 for n in stored_patrols.values() if n > 1)
    for u, sha in stats.created_photos.items():
        got = stored_photos.get(u)
        files_ok = got and all((disk / f"{kind}/{u[:2]}/{u}{ext}").is_file()
                               for kind, ext in (("original", ""), ("full", ".jpg"), ("thumb", ".jpg")))
        if not got or got[0] != "complete" or got[1] != sha or not files_ok:
            lost.append(u)
    originals_ok = all(hashlib.sha256((disk / f"original/{u[:2]}/{u}").read_bytes()).hexdigest() == sha
                       for u, sha in list(stats.created_photos.items())[:500]
                       if (disk / f"original/{u[:2]}/{u}").is_file())
    normal = [ms for t, ms, s in stats.uploads if s in (200, 201) and not in_fault(t)]
    faulty = [ms for t, ms, s in stats.uploads if s in (200, 201) and in_fault(t)]
    outside = [w for t, w in stats.failures if not in_fault(t)]
    during = [w for t, w in stats.failures if in_fault(t)]
    errors = len(stats.bad) + len(outside)
    for t, what in (stats.bad + [(t, w) for t, w in stats.failures if not in_fault(t)])[:20]:
        print(f"error at {t - began:.0f} s: {what}", file=sys.stderr)
    restart_failures = [w for t, w in stats.failures if windows and windows[0][0] <= t <= windows[0][1]]
    full_failures = [w for t, w in stats.failures if len(windows) > 1 and windows[1][0] <= t <= windows[1][1]]
    for lo in range(0, int(args.seconds + drained_s) + 10, 10):  # how the run went, to stderr
        got = [ms for t, ms, s in stats.uploads if lo <= t - began < lo + 10]
        fails = sum(1 for t, _ in stats.failures if lo <= t - began < lo + 10)
        if got or fails:
            print(f"  {lo:4d}-{lo + 10:<4d}s uploads {len(got):4d} p50 {np.percentile(got, 50) if got else 0:7.0f} ms "
                  f"p95 {np.percentile(got, 95) if got else 0:7.0f} ms  retried failures {fails}", file=sys.stderr)
    print(f"load_phones: {args.phones}")
    print(f"load_seconds: {args.seconds:.0f}")
    print(f"load_requests: {stats.requests}")
    print(f"load_patrols: {len(stats.created_patrols)}")
    print(f"load_photos: {len(stats.created_photos)}")
    def pct(values, q):  # nan when a (short) run had no upload there
        return float(np.percentile(values, q)) if values else float("nan")

    print(f"load_upload_p95_ms: {pct(normal, 95):.1f}")
    print(f"load_upload_p50_ms: {pct(normal, 50):.1f}")
    if faulty:
        print(f"load_upload_p95_ms_in_fault_windows: {np.percentile(faulty, 95):.1f}")
    print(f"load_errors: {errors}")
    print(f"load_retried_in_fault_windows: {len(during)}")
    print(f"load_db_restart_retries: {len(restart_failures)}")
    print(f"load_storage_full_507: {sum('507' in w for w in full_failures)}")
    print(f"load_lost_items: {len(set(lost) | set(stats.given_up))}")
    print(f"load_duplicate_patrols: {duplicates}")
    print(f"load_originals_match_sha256: {int(originals_ok)}")
    print(f"load_drain_s: {drained_s:.1f}")


if __name__ == "__main__":
    main()
