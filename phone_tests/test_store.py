"""The phone's store: upgrades from the first schema, durability settings, people kept apart."""
import sqlite3

import numpy as np
import pytest

from mobile.store import SCHEMA_VERSION, STEPS, LocalStore


def _v1_store(path):
    """A store as the first release of the app left it, with a patrol being recorded."""
    db = sqlite3.connect(path)
    db.executescript(STEPS[1])
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO accounts VALUES (7, '13900000101', '刘德明', 'inspector', 'http://x', 'rt', 's', 'now')")
    db.execute("INSERT INTO meta VALUES ('current_user', '7')")
    db.execute("INSERT INTO patrols (uuid, user_id, card_id, segment_ids, started_at) VALUES ('p1', 7, 3, '[1]', 100)")
    db.executemany("INSERT INTO fixes (patrol_uuid, t, lon, lat, accuracy) VALUES ('p1', ?, ?, ?, 5)",
                   [(100 + i, 108.9 + i * 1e-5, 34.3, ) for i in range(10)])
    db.execute("INSERT INTO outbox (user_id, kind, ref, created_at) VALUES (7, 'patrol', 'p0', 50)")
    db.commit()
    db.close()


def test_upgrade_from_the_first_schema_keeps_everything(tmp_path):
    path = tmp_path / "phone.sqlite"
    _v1_store(path)
    store = LocalStore(path)
    assert store.version() == SCHEMA_VERSION == 5
    assert store.current_account()["name"] == "刘德明"
    assert store.recording(7)["uuid"] == "p1"  # the patrol in progress survives the upgrade
    track = store.track("p1")
    assert len(track) == 10 and np.allclose(track.accuracy, 5)
    assert track.gnss_t is None and track.elapsed is None  # version 4's columns: unknown for the old fixes
    [item] = store.outbox(7)
    assert item["state"] == "finalized" and item["permanent"] == 0 and item["last_error"] is None
    store.add_event("p1", "restarted", 200)  # a table the first version did not have
    assert store.events("p1") == [{"at": 200.0, "event": "restarted"}]
    store.save_tasks(7, [{"case_no": "W1", "version": 4}])  # version 3: re-check tasks
    assert [t["case_no"] for t in store.tasks(7)] == ["W1"]
    store.add_problem(7, {"category": "garbage", "severity": "general", "lon": 108.9, "lat": 34.3, "reported_at": 300},
                      [], {"uuid": "v1", "path": "/x/v1.m4a", "size": 9, "sha256": "a" * 64, "seconds": 4.0,
                           "recorded_at": 290})  # version 5: a report's voice note, queued with it
    assert store.voice_note("v1")["seconds"] == 4.0
    assert [i["kind"] for i in store.outbox(7)][-2:] == ["voice", "problem"]
    store.close()
    assert LocalStore(path).version() == 5  # opening again changes nothing


def test_wal_mode_and_a_failed_step_leaves_the_old_version(tmp_path):
    path = tmp_path / "phone.sqlite"
    _v1_store(path)
    store = LocalStore(path)
    nxt = SCHEMA_VERSION + 1
    STEPS[nxt] = "CREATE TABLE half_done (x); CREATE TABLE half_done (x)"  # a step that fails midway
    try:
        with pytest.raises(sqlite3.OperationalError):
            store.upgrade(target=nxt)
    finally:
        del STEPS[nxt]
    assert store.version() == SCHEMA_VERSION
    tables = {r[0] for r in store._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "half_done" not in tables  # the step rolled back whole
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_two_people_on_one_phone_see_only_their_own(tmp_path):
    store = LocalStore(tmp_path / "phone.sqlite")
    a = {"id": 1, "phone": "13900000101", "name": "甲", "role": "inspector"}
    b = {"id": 2, "phone": "13900000102", "name": "乙", "role": "inspector"}
    store.save_account(a, "http://server", "rt-a", "s-a")
    pa = store.start_patrol(1, 10, [], 100.0)
    store.finalize_patrol(pa, {}, "", 200.0)
    store.sign_out()  # a logs out with an unsynced patrol
    assert store.current_account() is None
    store.save_account(b, "http://server", "rt-b", "s-b")
    assert store.outbox(2) == [] and store.patrols(2) == []
    assert [p["uuid"] for p in store.patrols(1)] == [pa]  # kept, not deleted
    assert store.pending_count(1) == 1
