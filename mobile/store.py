"""The phone's local store: SQLite in WAL mode, with a schema version and tested upgrades.

Everything the inspector does is written here first and leaves only through the outbox.
Fixes are appended in small batches (a killed app loses at most the unflushed seconds);
finalised records are committed with synchronous=FULL. Rows carry the user they belong
to: a second person on the same phone sees only their own, and nothing unsynced is ever
deleted on logout.
"""
from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import uuid as uuidlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from shared_models.clock import timestamp, utcnow
from shared_models.track import Track
from shared_models.wire import PHOTO_CAPTURE_FIELDS

SCHEMA_VERSION = 5

# Each step takes the store from version n-1 to n. Never edit a released step: add one.
STEPS: dict[int, str] = {
    1: """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE accounts (
        user_id INTEGER PRIMARY KEY, phone TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
        server TEXT NOT NULL, refresh_token TEXT, session_id TEXT, signed_in_at TEXT NOT NULL);
    CREATE TABLE cards (user_id INTEGER PRIMARY KEY, payload TEXT NOT NULL, fetched_at TEXT NOT NULL);
    CREATE TABLE patrols (
        uuid TEXT PRIMARY KEY, user_id INTEGER NOT NULL, card_id INTEGER NOT NULL,
        segment_ids TEXT NOT NULL, started_at REAL NOT NULL, ended_at REAL,
        state TEXT NOT NULL DEFAULT 'recording', checklist TEXT, notes TEXT, verdict TEXT);
    CREATE TABLE fixes (
        patrol_uuid TEXT NOT NULL, t REAL NOT NULL, lon REAL NOT NULL, lat REAL NOT NULL,
        accuracy REAL, altitude REAL, speed REAL, bearing REAL, mock INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX ix_fixes_patrol ON fixes (patrol_uuid, t);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL, kind TEXT NOT NULL,
        ref TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'finalized', attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0, created_at REAL NOT NULL, synced_at REAL);
    """,
    2: """
    CREATE TABLE patrol_events (patrol_uuid TEXT NOT NULL, at REAL NOT NULL, event TEXT NOT NULL);
    CREATE TABLE problems (
        uuid TEXT PRIMARY KEY, user_id INTEGER NOT NULL, patrol_uuid TEXT, category TEXT NOT NULL,
        severity TEXT NOT NULL, description TEXT NOT NULL, lon REAL NOT NULL, lat REAL NOT NULL,
        accuracy REAL, reported_at REAL NOT NULL);
    CREATE TABLE photos (
        uuid TEXT PRIMARY KEY, user_id INTEGER NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL,
        sha256 TEXT NOT NULL, patrol_uuid TEXT, problem_uuid TEXT, created_at REAL NOT NULL);
    ALTER TABLE outbox ADD COLUMN last_error TEXT;
    ALTER TABLE outbox ADD COLUMN permanent INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN bytes_total INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN bytes_sent INTEGER NOT NULL DEFAULT 0;
    """,
    3: """
    CREATE TABLE tasks (
        case_no TEXT NOT NULL, user_id INTEGER NOT NULL, payload TEXT NOT NULL, fetched_at TEXT NOT NULL,
        PRIMARY KEY (user_id, case_no));
    CREATE TABLE case_steps (
        uuid TEXT PRIMARY KEY, user_id INTEGER NOT NULL, case_no TEXT NOT NULL, action TEXT NOT NULL,
        base_version INTEGER, at REAL NOT NULL, lon REAL, lat REAL, note TEXT NOT NULL, result TEXT);
    CREATE TABLE photo_cache (uuid TEXT PRIMARY KEY, path TEXT NOT NULL, fetched_at REAL NOT NULL);
    ALTER TABLE photos ADD COLUMN case_step_uuid TEXT;
    """,
    4: """
    ALTER TABLE fixes ADD COLUMN gnss_t REAL;
    ALTER TABLE fixes ADD COLUMN elapsed REAL;
    ALTER TABLE photos ADD COLUMN captured_at REAL;
    ALTER TABLE photos ADD COLUMN capture_lon REAL;
    ALTER TABLE photos ADD COLUMN capture_lat REAL;
    ALTER TABLE photos ADD COLUMN capture_accuracy REAL;
    ALTER TABLE photos ADD COLUMN source TEXT;
    """,
    5: """
    CREATE TABLE voice_notes (
        uuid TEXT PRIMARY KEY, user_id INTEGER NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL,
        sha256 TEXT NOT NULL, problem_uuid TEXT NOT NULL, seconds REAL NOT NULL, recorded_at REAL NOT NULL);
    """,
}

# outbox order: what a patrol refers to goes first, then the patrol, then its problems
KIND_ORDER = {"photo": 0, "voice": 0, "patrol": 1, "problem": 2, "case_step": 3}


class LocalStore:
    """One SQLite file. Thread-safe: the recorder, the sync thread and the UI share it."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        Path(path).parent.mkdir(parents=True, exist_ok=True)  # the first of the app and its service to open it
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")  # fixes: survive an app kill, cheap
        self._db.execute("PRAGMA foreign_keys = ON")
        self.upgrade()

    # --- schema -----------------------------------------------------------------------

    def version(self) -> int:
        return self._db.execute("PRAGMA user_version").fetchone()[0]

    def upgrade(self, target: int = SCHEMA_VERSION) -> None:
        """Run the missing steps, each in its own transaction with the version bump."""
        with self._lock:
            current = self.version()
            for step in range(current + 1, target + 1):
                with self._tx(durable=True):
                    for statement in filter(str.strip, STEPS[step].split(";")):
                        self._db.execute(statement)
                    self._db.execute(f"PRAGMA user_version = {step}")

    @contextlib.contextmanager
    def _tx(self, durable: bool = False) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if durable:
                self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            finally:
                if durable:
                    self._db.execute("PRAGMA synchronous = NORMAL")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _rows(self, sql: str, *args) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._db.execute(sql, args).fetchall()]

    def _one(self, sql: str, *args) -> dict | None:
        rows = self._rows(sql, *args)
        return rows[0] if rows else None

    def get_meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", key)
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = "
                       "excluded.value", (key, value))

    # --- accounts and cards -------------------------------------------------------------

    def save_account(self, user: dict, server: str, refresh_token: str, session_id: str) -> None:
        with self._tx(durable=True) as db:
            db.execute(
                "INSERT INTO accounts (user_id, phone, name, role, server, refresh_token, session_id, signed_in_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET refresh_token = excluded."
                "refresh_token, session_id = excluded.session_id, server = excluded.server, name = excluded.name,"
                " signed_in_at = excluded.signed_in_at",
                (user["id"], user["phone"], user["name"], user["role"], server, refresh_token, session_id,
                 _now_iso()))
            db.execute("INSERT INTO meta (key, value) VALUES ('current_user', ?) ON CONFLICT (key) DO UPDATE "
                       "SET value = excluded.value", (str(user["id"]),))

    def current_account(self) -> dict | None:
        row = self._one("SELECT value FROM meta WHERE key = 'current_user'")
        return self._one("SELECT * FROM accounts WHERE user_id = ?", int(row["value"])) if row else None

    def sign_out(self) -> None:
        """Forget who is signed in and their refresh token; their unsynced records stay."""
        account = self.current_account()
        with self._tx(durable=True) as db:
            if account:
                db.execute("UPDATE accounts SET refresh_token = NULL WHERE user_id = ?", (account["user_id"],))
            db.execute("DELETE FROM meta WHERE key = 'current_user'")

    def save_cards(self, user_id: int, payload: dict) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO cards (user_id, payload, fetched_at) VALUES (?, ?, ?) ON CONFLICT (user_id)"
                       " DO UPDATE SET payload = excluded.payload, fetched_at = excluded.fetched_at",
                       (user_id, json.dumps(payload, ensure_ascii=False), _now_iso()))

    def cards(self, user_id: int) -> dict | None:
        row = self._one("SELECT payload, fetched_at FROM cards WHERE user_id = ?", user_id)
        return {**json.loads(row["payload"]), "fetched_at": row["fetched_at"]} if row else None

    # --- patrols ------------------------------------------------------------------------

    def start_patrol(self, user_id: int, card_id: int, segment_ids: list[int], at: float) -> str:
        patrol_uuid = str(uuidlib.uuid4())
        with self._tx(durable=True) as db:
            db.execute("INSERT INTO patrols (uuid, user_id, card_id, segment_ids, started_at) VALUES (?, ?, ?, ?, ?)",
                       (patrol_uuid, user_id, card_id, json.dumps(segment_ids), at))
        return patrol_uuid

    def add_fixes(self, patrol_uuid: str, fixes: list[tuple]) -> None:
        """Append (t, lon, lat, accuracy, altitude, speed, bearing, mock[, gnss_t, elapsed]) rows in one
        transaction, in the order they were recorded (which a clock set back does not change)."""
        if not fixes:
            return
        rows = [(patrol_uuid, *f, *(None,) * (10 - len(f))) for f in fixes]
        with self._tx() as db:
            db.executemany("INSERT INTO fixes (patrol_uuid, t, lon, lat, accuracy, altitude, speed, bearing, mock,"
                           " gnss_t, elapsed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def add_event(self, patrol_uuid: str, event: str, at: float | None = None) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO patrol_events (patrol_uuid, at, event) VALUES (?, ?, ?)",
                       (patrol_uuid, at if at is not None else timestamp(), event))

    def events(self, patrol_uuid: str) -> list[dict]:
        return self._rows("SELECT at, event FROM patrol_events WHERE patrol_uuid = ? ORDER BY at", patrol_uuid)

    def recording(self, user_id: int) -> dict | None:
        """The patrol this person was recording when the app stopped, if any."""
        return self._one("SELECT * FROM patrols WHERE user_id = ? AND state = 'recording' ORDER BY started_at DESC",
                         user_id)

    def patrol(self, patrol_uuid: str) -> dict | None:
        return self._one("SELECT * FROM patrols WHERE uuid = ?", patrol_uuid)

    def patrols(self, user_id: int) -> list[dict]:
        return self._rows("SELECT * FROM patrols WHERE user_id = ? ORDER BY started_at DESC", user_id)

    def last_fix(self, patrol_uuid: str) -> dict | None:
        """The newest fix of a patrol, without reading its whole track (the status strip asks every second)."""
        return self._one("SELECT t, lon, lat, accuracy FROM fixes WHERE patrol_uuid = ? ORDER BY rowid DESC LIMIT 1",
                         patrol_uuid)

    def fix_count(self, patrol_uuid: str) -> int:
        return self._one("SELECT count(*) AS n FROM fixes WHERE patrol_uuid = ?", patrol_uuid)["n"]

    def track(self, patrol_uuid: str) -> Track:
        rows = self._rows("SELECT t, lon, lat, accuracy, altitude, speed, bearing, mock, gnss_t, elapsed FROM fixes "
                          "WHERE patrol_uuid = ? ORDER BY rowid", patrol_uuid)
        breaks = []
        events = self.events(patrol_uuid)
        if rows and events:  # the way between a pause and the resume is not walked
            t = np.array([r["t"] for r in rows])
            for e in events:
                if e["event"] in ("user_resumed", "restarted"):
                    i = int(np.searchsorted(t, e["at"]))
                    if 0 < i < len(t):
                        breaks.append(i)

        def col(name):
            values = [r[name] for r in rows]
            return None if all(v is None for v in values) else np.array(
                [np.nan if v is None else v for v in values], dtype=float)

        return Track([r["lon"] for r in rows], [r["lat"] for r in rows], [r["t"] for r in rows],
                     col("accuracy"), col("altitude"), col("speed"), col("bearing"),
                     np.array([bool(r["mock"]) for r in rows]) if any(r["mock"] for r in rows) else None,
                     breaks=breaks, gnss_t=col("gnss_t"), elapsed=col("elapsed"))

    def finalize_patrol(self, patrol_uuid: str, checklist: dict, notes: str, at: float) -> None:
        """End the patrol and queue it, durably, in one transaction."""
        with self._tx(durable=True) as db:
            db.execute("UPDATE patrols SET state = 'finalized', ended_at = ?, checklist = ?, notes = ? "
                       "WHERE uuid = ? AND state = 'recording'",
                       (at, json.dumps(checklist, ensure_ascii=False), notes, patrol_uuid))
            user_id = db.execute("SELECT user_id FROM patrols WHERE uuid = ?", (patrol_uuid,)).fetchone()[0]
            self._enqueue(db, user_id, "patrol", patrol_uuid)

    def set_verdict(self, patrol_uuid: str, verdict: dict) -> None:
        with self._tx() as db:
            db.execute("UPDATE patrols SET verdict = ?, state = 'synced' WHERE uuid = ?",
                       (json.dumps(verdict, ensure_ascii=False), patrol_uuid))

    # --- problems and photos ------------------------------------------------------------

    def add_problem(self, user_id: int, data: dict, photos: list[dict], voice: dict | None = None) -> str:
        """A problem with its (already compressed) photos and its voice note, queued in one durable transaction."""
        problem_uuid = data.get("uuid") or str(uuidlib.uuid4())
        with self._tx(durable=True) as db:
            for ph in photos:
                self._add_photo(db, user_id, ph, patrol_uuid=data.get("patrol_uuid"), problem_uuid=problem_uuid)
            if voice:
                db.execute("INSERT INTO voice_notes (uuid, user_id, path, size, sha256, problem_uuid, seconds,"
                           " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           (voice["uuid"], user_id, voice["path"], voice["size"], voice["sha256"], problem_uuid,
                            voice["seconds"], voice["recorded_at"]))
                self._enqueue(db, user_id, "voice", voice["uuid"], voice["size"])
            db.execute("INSERT INTO problems (uuid, user_id, patrol_uuid, category, severity, description, lon, lat,"
                       " accuracy, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (problem_uuid, user_id, data.get("patrol_uuid"), data["category"], data["severity"],
                        data.get("description", ""), data["lon"], data["lat"], data.get("accuracy"),
                        data["reported_at"]))
            self._enqueue(db, user_id, "problem", problem_uuid)
        return problem_uuid

    def _add_photo(self, db, user_id: int, ph: dict, **links: str | None) -> None:
        """A photo with what the phone knew when it was taken (time, the recorder's position and accuracy, camera
        or gallery), linked to its problem, patrol or case step, and queued."""
        row = {"uuid": ph["uuid"], "user_id": user_id, "path": ph["path"], "size": ph["size"], "sha256": ph["sha256"],
               "created_at": timestamp(), **links, **{k: ph.get(k) for k in PHOTO_CAPTURE_FIELDS}}
        db.execute(f"INSERT INTO photos ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
        self._enqueue(db, user_id, "photo", ph["uuid"], ph["size"])

    def problem(self, problem_uuid: str) -> dict | None:
        row = self._one("SELECT * FROM problems WHERE uuid = ?", problem_uuid)
        if row:
            row["photo_uuids"] = [p["uuid"] for p in self._rows(
                "SELECT uuid FROM photos WHERE problem_uuid = ? ORDER BY created_at", problem_uuid)]
        return row

    def photo(self, photo_uuid: str) -> dict | None:
        return self._one("SELECT * FROM photos WHERE uuid = ?", photo_uuid)

    def voice_note(self, note_uuid: str) -> dict | None:
        return self._one("SELECT * FROM voice_notes WHERE uuid = ?", note_uuid)

    # --- re-check tasks (复核) -------------------------------------------------------------

    def save_tasks(self, user_id: int, tasks: list[dict]) -> None:
        """The server's whole list replaces the phone's (a task done elsewhere disappears)."""
        with self._tx() as db:
            db.execute("DELETE FROM tasks WHERE user_id = ?", (user_id,))
            for task in tasks:
                db.execute("INSERT INTO tasks (case_no, user_id, payload, fetched_at) VALUES (?, ?, ?, ?)",
                           (task["case_no"], user_id, json.dumps(task, ensure_ascii=False), _now_iso()))

    def tasks(self, user_id: int) -> list[dict]:
        """Tasks still to do: those with a step already taken on this phone for this version are done, unless the
        server refused that step; then the task is back, with the server's reason (``refused``)."""
        steps = self._rows(
            "SELECT s.case_no, s.base_version, o.state, o.permanent, o.last_error FROM case_steps s "
            "LEFT JOIN outbox o ON o.kind = 'case_step' AND o.ref = s.uuid WHERE s.user_id = ? ORDER BY s.at",
            user_id)
        done, refused = set(), {}
        for r in steps:
            key = (r["case_no"], r["base_version"])
            if r["state"] == "failed" and r["permanent"]:
                refused[key] = r["last_error"] or ""
                done.discard(key)
            else:
                done.add(key)
                refused.pop(key, None)
        out = [json.loads(r["payload"]) for r in self._rows(
            "SELECT payload FROM tasks WHERE user_id = ? ORDER BY case_no", user_id)]
        return [{**t, "refused": refused.get((t["case_no"], t["version"]))} for t in out
                if (t["case_no"], t["version"]) not in done]

    def add_case_step(self, user_id: int, step: dict, photos: list[dict]) -> str:
        """A step on a case taken offline (e.g. a re-check), with its photos, queued in one transaction."""
        step_uuid = str(uuidlib.uuid4())
        with self._tx(durable=True) as db:
            for ph in photos:
                self._add_photo(db, user_id, ph, case_step_uuid=step_uuid)
            db.execute("INSERT INTO case_steps (uuid, user_id, case_no, action, base_version, at, lon, lat, note)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (step_uuid, user_id, step["case_no"], step["action"], step["base_version"], step["at"],
                        step.get("lon"), step.get("lat"), step.get("note", "")))
            self._enqueue(db, user_id, "case_step", step_uuid)
        return step_uuid

    def case_step(self, step_uuid: str) -> dict | None:
        row = self._one("SELECT * FROM case_steps WHERE uuid = ?", step_uuid)
        if row:
            row["photo_uuids"] = [p["uuid"] for p in self._rows(
                "SELECT uuid FROM photos WHERE case_step_uuid = ? ORDER BY created_at", step_uuid)]
        return row

    def case_steps(self, user_id: int) -> list[dict]:
        return self._rows("SELECT * FROM case_steps WHERE user_id = ? ORDER BY at DESC", user_id)

    def set_step_result(self, step_uuid: str, result: dict) -> None:
        with self._tx() as db:
            db.execute("UPDATE case_steps SET result = ? WHERE uuid = ?",
                       (json.dumps(result, ensure_ascii=False), step_uuid))

    def cached_photo(self, photo_uuid: str) -> str | None:
        row = self._one("SELECT path FROM photo_cache WHERE uuid = ?", photo_uuid)
        return row["path"] if row and Path(row["path"]).exists() else None

    def cache_photo(self, photo_uuid: str, path: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO photo_cache (uuid, path, fetched_at) VALUES (?, ?, ?)",
                       (photo_uuid, path, timestamp()))

    # --- outbox -------------------------------------------------------------------------

    def _enqueue(self, db, user_id: int, kind: str, ref: str, size: int = 0) -> None:
        db.execute("INSERT INTO outbox (user_id, kind, ref, created_at, bytes_total) VALUES (?, ?, ?, ?, ?)",
                   (user_id, kind, ref, timestamp(), size))

    def outbox(self, user_id: int) -> list[dict]:
        return self._rows("SELECT * FROM outbox WHERE user_id = ? ORDER BY created_at, id", user_id)

    def due(self, user_id: int, now: float) -> list[dict]:
        """Items to send now, oldest first (photos before what refers to them)."""
        rows = self._rows("SELECT * FROM outbox WHERE user_id = ? AND state IN ('finalized', 'sending', 'failed') "
                          "AND permanent = 0 AND next_attempt_at <= ? ORDER BY created_at, id", user_id, now)
        return sorted(rows, key=lambda r: (r["created_at"] // 1, KIND_ORDER[r["kind"]], r["id"]))

    def mark(self, item_id: int, state: str, *, error: str | None = None, permanent: bool = False,
             next_attempt_at: float = 0, bytes_sent: int | None = None) -> None:
        with self._tx(durable=state == "synced") as db:
            db.execute("UPDATE outbox SET state = ?, last_error = ?, permanent = ?, next_attempt_at = ?,"
                       " attempts = attempts + ?, synced_at = CASE WHEN ? = 'synced' THEN ? ELSE synced_at END,"
                       " bytes_sent = COALESCE(?, bytes_sent) WHERE id = ?",
                       (state, error, int(permanent), next_attempt_at, int(state == "failed"), state, timestamp(),
                        bytes_sent, item_id))

    def pending_count(self, user_id: int) -> int:
        return self._one("SELECT COUNT(*) AS n FROM outbox WHERE user_id = ? AND state != 'synced'", user_id)["n"]

    def retryable_count(self, user_id: int) -> int:
        """Items a later send may still deliver (not those the server refused for good)."""
        return self._one("SELECT COUNT(*) AS n FROM outbox WHERE user_id = ? AND state != 'synced' AND permanent = 0",
                         user_id)["n"]


def _now_iso() -> str:
    return utcnow().isoformat()
