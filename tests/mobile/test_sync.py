"""The outbox against a real server: exactly once, through cut connections and while offline."""
import datetime as dt
import hashlib
import socket
import time
import uuid

from sqlalchemy import func, select

from mobile.api_client import ApiClient
from mobile.recorder import PatrolRecorder
from mobile.store import LocalStore
from mobile.sync import SyncEngine
from server.cases.models import Problem
from server.extensions import db
from server.patrols.models import Patrol
from server.photos.models import Photo

from ..patrol_data import START, card_of, walk_on
from ..photos import jpeg_with_exif
from .faultproxy import CuttingProxy

INSPECTOR = "13900000101"


def _phone(tmp_path, server: str, api) -> tuple[LocalStore, ApiClient, dict]:
    store = LocalStore(tmp_path / "phone.sqlite")
    client = ApiClient(server)
    body = client.login(INSPECTOR, "Demo@2026", device_id="test-phone")
    store.save_account(body["user"], server, body["refresh_token"], body["session_id"])
    return store, client, body["user"]


def _record(store, user, card, start=START, seed=0) -> str:
    walk = walk_on(card, start, seed=seed)
    rec = PatrolRecorder(store, user["id"], clock=lambda: walk.t[0])
    uuid_ = rec.start(card.id, [card.segments[0].id])
    for i in range(len(walk)):
        rec.on_fix({"t": walk.t[i], "lon": walk.lon[i], "lat": walk.lat[i], "accuracy": walk.accuracy[i]})
    rec.clock = lambda: walk.t[-1]
    rec.finish({"垃圾": "无"}, "沿河走了一趟")
    return uuid_


def _photo(tmp_path, size=(3000, 2200)) -> dict:
    data = jpeg_with_exif(size=size)
    path = tmp_path / f"{uuid.uuid4()}.jpg"
    path.write_bytes(data)
    return {"uuid": str(uuid.uuid4()), "path": str(path), "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


def _problem(store, user, patrol_uuid, photos) -> str:
    return store.add_problem(user["id"], {"category": "luan_dui", "severity": "serious", "description": "堆放垃圾",
                                          "lon": 108.9, "lat": 34.33, "accuracy": 5.0,
                                          "reported_at": START.timestamp() + 600, "patrol_uuid": patrol_uuid},
                             photos)


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_patrol_problem_and_photo_arrive_once(engine_name, api, tmp_path):
    store, client, user = _phone(tmp_path, api.base, api)
    card = card_of(INSPECTOR)
    patrol_uuid = _record(store, user, card)
    photo = _photo(tmp_path, size=(1200, 900))
    problem_uuid = _problem(store, user, patrol_uuid, [photo])
    report = SyncEngine(store, client, user["id"]).run_once()
    assert report.failed == [] and set(report.sent) == {patrol_uuid, problem_uuid, photo["uuid"]}
    assert all(item["state"] == "synced" for item in store.outbox(user["id"]))
    verdict = store.patrol(patrol_uuid)
    assert verdict["state"] == "synced" and '"valid": true' in verdict["verdict"]
    assert store.cards(user["id"])["cards"][0]["id"] == card.id  # pulled for offline use
    assert _count(Patrol, Patrol.uuid == patrol_uuid) == 1
    assert _count(Problem, Problem.uuid == problem_uuid) == 1
    stored = db.session.scalar(select(Photo).where(Photo.uuid == photo["uuid"]))
    assert stored.status == "complete" and stored.sha256 == photo["sha256"] and stored.problem_uuid == problem_uuid
    assert SyncEngine(store, client, user["id"]).run_once().sent == []  # nothing twice
    assert store.get_meta(f"cursor:{user['id']}")
    # the server changes its verdict (a supervisor's review): the next pull brings it to the phone
    patrol = db.session.scalar(select(Patrol).where(Patrol.uuid == patrol_uuid))
    patrol.valid = False
    db.session.commit()
    SyncEngine(store, client, user["id"]).run_once()
    assert '"valid": false' in store.patrol(patrol_uuid)["verdict"]


def test_sync_through_a_line_that_keeps_breaking(engine_name, api, tmp_path):
    port = int(api.base.rsplit(":", 1)[1])
    proxy = CuttingProxy(port, cut_share=0.85, max_bytes=250_000)
    try:
        server = f"http://127.0.0.1:{proxy.port}"
        proxy.enabled = False
        store, client, user = _phone(tmp_path, server, api)
        proxy.enabled = True
        card = card_of(INSPECTOR)
        made = []
        for k in range(5):
            patrol_uuid = _record(store, user, card, START - dt.timedelta(days=k + 1), seed=k)
            photos = [_photo(tmp_path) for _ in range(2)]
            made.append((patrol_uuid, _problem(store, user, patrol_uuid, photos), photos))
        engine = SyncEngine(store, client, user["id"])
        deadline = time.time() + 240
        while store.pending_count(user["id"]) and time.time() < deadline:
            engine.run_once(ignore_backoff=True)
        assert store.pending_count(user["id"]) == 0
        assert proxy.cuts >= 50, proxy.cuts
    finally:
        proxy.close()
    for patrol_uuid, problem_uuid, photos in made:
        assert _count(Patrol, Patrol.uuid == patrol_uuid) == 1
        assert _count(Problem, Problem.uuid == problem_uuid) == 1
        for ph in photos:
            stored = db.session.scalar(select(Photo).where(Photo.uuid == ph["uuid"]))
            assert stored.status == "complete" and stored.sha256 == ph["sha256"]  # the very same bytes
    assert _count(Patrol) == 5 and _count(Problem) == 5 and _count(Photo) == 10


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_the_items_wait_and_go_when_the_server_is_back(engine_name, api, tmp_path):
    store, client, user = _phone(tmp_path, api.base, api)
    client.server = f"http://127.0.0.1:{_closed_port()}"  # the server is down / no signal
    card = card_of(INSPECTOR)
    patrol_uuid = _record(store, user, card)
    problem_uuid = _problem(store, user, patrol_uuid, [_photo(tmp_path, size=(800, 600))])
    engine = SyncEngine(store, client, user["id"])
    report = engine.run_once()
    assert len(report.failed) == 3 and report.sent == []
    items = store.outbox(user["id"])
    assert all(i["state"] == "failed" and i["permanent"] == 0 for i in items)
    assert all("网络不通" in i["last_error"] for i in items)  # a plain Chinese reason for the outbox screen
    assert all(i["next_attempt_at"] > time.time() - 1 for i in items)  # backed off, not hammering
    assert engine.run_once().sent == []  # not yet due
    client.server = api.base  # back
    report = engine.run_once(ignore_backoff=True)  # the inspector taps "sync now"
    assert set(report.sent) == {i["ref"] for i in items} and {patrol_uuid, problem_uuid} < set(report.sent)
    assert _count(Patrol) == 1 and _count(Problem) == 1


def test_a_permanent_refusal_is_kept_with_its_reason(engine_name, api, tmp_path):
    store, client, user = _phone(tmp_path, api.base, api)
    bad = _photo(tmp_path, size=(800, 600))
    with open(bad["path"], "wb") as fh:  # replace the picture by text with a matching checksum
        text = "这不是照片".encode() * 50
        fh.write(text)
    bad.update(size=len(text), sha256=hashlib.sha256(text).hexdigest())
    good_problem = _problem(store, user, None, [])
    store.add_problem(user["id"], {"category": "garbage", "severity": "general", "lon": 108.9, "lat": 34.33,
                                   "reported_at": START.timestamp()}, [bad])
    report = SyncEngine(store, client, user["id"]).run_once()
    assert good_problem in report.sent  # one bad item does not stop the others
    photo_item = next(i for i in store.outbox(user["id"]) if i["kind"] == "photo")
    assert photo_item["permanent"] == 1 and photo_item["last_error"] == "文件不是有效的照片"
    assert SyncEngine(store, client, user["id"]).run_once(ignore_backoff=True).sent == []  # not retried
