"""The outbox: finalized -> sending -> synced, or failed (retryable, with backoff; or permanent).

One sender at a time (a lock), oldest first, carrying on past a failed item. Every
upload carries the phone's UUID, so a retry after a lost answer never doubles a record;
photo chunks resume from the offset the server reports.
"""
from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path

from shared_models import wire
from shared_models.clock import LOCAL_TZ, local_today, timestamp
from shared_models.track import codec
from shared_models.track.verdict import chinese

from . import basemap
from .api_client import ApiClient, ApiFailure, SignInRequired
from .platform.network import on_wifi
from .store import LocalStore

CHUNK = 256 * 1024
BACKOFF_BASE_S = 2.0
BACKOFF_MAX_S = 15 * 60
MONTH_EVERY_S = 3600
INBOX_SIZE = 50  # the newest messages kept on the phone
# messages the phone already announces from its own pull (a new task, a supervisor's decision on a patrol)
TOLD_OTHERWISE = ("case_assigned", "recheck_due", "patrol_rejected")


def backoff(attempts: int, rng: random.Random = random.Random()) -> float:
    """Exponential with full jitter: phones that lost signal together do not return together."""
    return rng.uniform(0, min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** attempts))


@dataclass
class SyncReport:
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    sign_in_required: bool = False


def local_period() -> str:
    today = local_today()
    return f"{today.year}-{today.month:02d}"


def decision_news(patrol: dict, verdict: dict) -> tuple[str, str]:
    day = dt.datetime.fromtimestamp(patrol["started_at"], LOCAL_TZ)
    when = f"{day.month}月{day.day}日的巡河"
    if verdict["review_status"] == "rejected":
        note = verdict.get("review_note")
        return "巡河被驳回", f"{when}被网格长驳回，不计入" + (f"：{note}" if note else "")
    return "巡河已核实", f"{when}经网格长核实，计为有效"


def failure_words(exc: ApiFailure) -> str:
    """What the inspector reads about a refused item: the server's message and, for each field it names, its
    Chinese reason (e.g. 距问题位置 950 米，须到现场（200 米内）复核)."""
    details = [chinese(v) for v in (exc.body.get("errors") or {}).values() if isinstance(v, str)]
    return "：".join([str(exc), "；".join(details)]) if details else str(exc)


class SyncEngine:
    def __init__(self, store: LocalStore, client: ApiClient, user_id: int) -> None:
        self.store = store
        self.client = client
        self.user_id = user_id
        self._lock = threading.Lock()
        self.reachable: bool | None = None  # did the server answer the last pull (None: not tried yet)
        self.news: list[tuple[str, str]] = []  # (title, text) for notifications; the caller takes them

    def run_once(self, now: float | None = None, ignore_backoff: bool = False) -> SyncReport:
        """Send what is due; ``ignore_backoff`` is the inspector's "sync now"."""
        report = SyncReport()
        if not self._lock.acquire(blocking=False):
            return report  # another sender is at work
        try:
            due = self.store.due(self.user_id, float("inf") if ignore_backoff else (now or timestamp()))
            for item in due:
                try:
                    self.store.mark(item["id"], "sending", bytes_sent=item["bytes_sent"])
                    getattr(self, f"_send_{item['kind']}")(item)
                except SignInRequired as exc:
                    self.store.mark(item["id"], "failed", error=str(exc), next_attempt_at=0)
                    report.sign_in_required = True
                    break
                except ApiFailure as exc:
                    wait = backoff(item["attempts"]) if exc.retryable else 0
                    self.store.mark(item["id"], "failed", error=failure_words(exc), permanent=not exc.retryable,
                                    next_attempt_at=timestamp() + wait)
                    report.failed.append((item["ref"], str(exc), exc.body.get("errors")))
                    continue
                self.store.mark(item["id"], "synced", bytes_sent=item["bytes_total"])
                report.sent.append(item["ref"])
            if not report.sign_in_required:
                self.pull()
        finally:
            self._lock.release()
        return report

    def pull(self) -> None:
        """What changed on the server since the last pull: cards, verdicts on my patrols (with a supervisor's
        decision), tasks, categories, and my month's assessment (at most hourly). What the inspector should hear
        of (a new task, a decision on a patrol) is added to ``news`` for the phone's notifications."""
        cursor = self.store.get_meta(f"cursor:{self.user_id}")
        try:
            changes = self.client.json("GET", "/api/v1/me/changes", params={"since": cursor} if cursor else None)
        except ApiFailure as exc:  # tried again on the next round
            self.reachable = exc.status is not None
            return
        self.reachable = True
        self.store.save_cards(self.user_id, {"cards": changes["cards"]})
        for verdict in changes["patrols"]:
            mine = self.store.patrol(verdict["uuid"])
            if mine:
                before = json.loads(mine["verdict"]) if mine["verdict"] else {}
                if verdict.get("review_status") and verdict["review_status"] != before.get("review_status"):
                    self.news.append(decision_news(mine, verdict))
                self.store.set_verdict(verdict["uuid"], wire.verdict(verdict))
        if changes.get("categories"):
            self.store.set_meta(f"categories:{self.user_id}", json.dumps(changes["categories"], ensure_ascii=False))
        tasks = changes.get("tasks", [])
        known = {t["case_no"] for t in self.store.tasks(self.user_id)}
        first = cursor is None  # the first sign-in lists what is there; news are what came after
        self.news.extend(("新的整改任务" if t.get("kind") == "rectify" else "新的复核任务",
                          f"{t['category_label']}：{t['description'] or '请到现场查看'}")
                         for t in tasks if t["case_no"] not in known and not first)
        self.store.save_tasks(self.user_id, tasks)
        if "problems" in changes:
            before = {p["uuid"]: p["status"] for p in json.loads(self.store.get_meta(f"problems:{self.user_id}")
                                                                 or "[]")}
            self.news.extend(("问题已销号", f"您上报的{p['category_label']}问题已整改完成并销号")
                             for p in changes["problems"] if p["status"] == "closed"
                             and before.get(p["uuid"], "closed") != "closed")
            self.store.set_meta(f"problems:{self.user_id}", json.dumps(changes["problems"], ensure_ascii=False))
        self.store.set_meta(f"cursor:{self.user_id}", changes["cursor"])
        self.store.set_meta(f"basemap:{self.user_id}", json.dumps(changes.get("basemap"), ensure_ascii=False))
        with contextlib.suppress(ApiFailure):  # (on its own: a server without messages still gives the rest)
            self._pull_inbox(first)
        with contextlib.suppress(ApiFailure):
            self._cache_photos(tasks)
            self.pull_month()
            if changes.get("basemap") and on_wifi():  # a tile package is for Wi-Fi, never the inspector's data plan
                basemap.fetch(self.client, Path(self.store.path).parent, changes["basemap"])

    def _pull_inbox(self, first: bool) -> None:
        """My messages (GET /me/notifications): the newest kept for offline; those read on the phone since the last
        pull told to the server; those new since are news, unless a task or a decision already says so."""
        uid = self.user_id
        page = self.client.json("GET", "/api/v1/me/notifications", params={"limit": INBOX_SIZE})
        read_upto = int(self.store.get_meta(f"inbox_read:{uid}") or 0)
        seen = int(self.store.get_meta(f"inbox_seen:{uid}") or 0)
        for item in page["items"]:
            if not item["read"] and item["id"] <= read_upto:
                self.client.json("POST", f"/api/v1/me/notifications/{item['id']}/read")
                item["read"] = True
            elif not item["read"] and item["id"] > seen and not first and item["kind"] not in TOLD_OTHERWISE:
                self.news.append((item["title"], item["body"]))
        self.store.set_meta(f"inbox:{uid}", json.dumps(page["items"], ensure_ascii=False))
        self.store.set_meta(f"inbox_seen:{uid}", str(max([seen] + [i["id"] for i in page["items"]])))

    def pull_month(self, force: bool = False) -> dict | None:
        """My month as the assessment computes it (GET /me/assessments/{period}), kept for offline; asked at
        most hourly (it is the county's whole computation), or when the inspector asks (``force``)."""
        period = local_period()
        key = f"month:{self.user_id}"
        kept = json.loads(self.store.get_meta(key) or "null")
        if not force and kept and kept["period"] == period and timestamp() - kept["fetched_at"] < MONTH_EVERY_S:
            return kept
        body = self.client.json("GET", f"/api/v1/me/assessments/{period}")
        kept = {"period": period, "fetched_at": timestamp(), "body": body}
        self.store.set_meta(key, json.dumps(kept, ensure_ascii=False))
        return kept

    def _cache_photos(self, tasks: list[dict]) -> None:
        """Before- and after-photos of re-check tasks, small, kept for offline (shown beside the camera)."""
        folder = Path(self.store.path).parent / "photo-cache"
        folder.mkdir(exist_ok=True)
        for task in tasks:
            for uuid in task.get("before_photo_uuids", []) + task.get("after_photo_uuids", []):
                if self.store.cached_photo(uuid):
                    continue
                r = self.client.call("GET", f"/api/v1/photos/{uuid}/thumbnail")
                path = folder / f"{uuid}.jpg"
                path.write_bytes(r.content)
                self.store.cache_photo(uuid, str(path))

    # --- one item each ------------------------------------------------------------------

    def _send_photo(self, item: dict) -> None:
        photo = self.store.photo(item["ref"])
        self._send_file(item, "/api/v1/photos", "photo", photo["path"], photo["sha256"], wire.photo_upload(
            uuid=photo["uuid"], size=photo["size"], sha256=photo["sha256"], patrol_uuid=photo["patrol_uuid"],
            problem_uuid=photo["problem_uuid"], **{k: photo.get(k) for k in wire.PHOTO_CAPTURE_FIELDS}))

    def _send_voice(self, item: dict) -> None:
        note = self.store.voice_note(item["ref"])
        self._send_file(item, "/api/v1/voice-notes", "voice", note["path"], note["sha256"], wire.voice_upload(
            uuid=note["uuid"], size=note["size"], sha256=note["sha256"], problem_uuid=note["problem_uuid"],
            recorded_at=note["recorded_at"]))

    def _send_file(self, item: dict, base: str, code: str, path: str, sha256: str, start: dict) -> None:
        """A file in chunks from where the server has it (a photo, a voice note: the same protocol)."""
        data = Path(path).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            what = "照片" if code == "photo" else "录音"
            raise ApiFailure(f"手机上的{what}文件已损坏，无法上传", retryable=False)
        state = self.client.json("POST", base, json=start)
        offset = state["offset"]
        while not state["complete"]:
            try:
                state = self.client.json("PATCH", f"{base}/{start['uuid']}", data=data[offset:offset + CHUNK],
                                         headers={"Upload-Offset": str(offset),
                                                  "Content-Type": "application/offset+octet-stream"})
            except ApiFailure as exc:
                if exc.code == f"{code}.offset_mismatch":  # a chunk arrived but its answer did not
                    state = {"offset": exc.body["offset"], "complete": False}
                else:
                    raise
            offset = state["offset"]
            self.store.mark(item["id"], "sending", bytes_sent=offset)

    def _send_patrol(self, item: dict) -> None:
        patrol = self.store.patrol(item["ref"])
        track = self.store.track(patrol["uuid"])
        body = wire.patrol_upload(
            uuid=patrol["uuid"], card_id=patrol["card_id"], segment_ids=json.loads(patrol["segment_ids"]),
            started_at=patrol["started_at"], ended_at=patrol["ended_at"],
            track_b64=base64.b64encode(codec.encode(track)).decode(), checklist=json.loads(patrol["checklist"] or "{}"),
            notes=patrol["notes"] or "", events=self.store.events(patrol["uuid"]))
        self.store.set_verdict(patrol["uuid"], wire.verdict(self.client.json("POST", "/api/v1/patrols", json=body)))

    def _send_case_step(self, item: dict) -> None:
        """A step on a case done offline, with the version it was based on; the server's verdict is kept
        (applied, or stale: overtaken by someone else and left for the supervisor)."""
        step = self.store.case_step(item["ref"])
        result = self.client.json("POST", f"/api/v1/cases/{step['case_no']}/transitions", json=wire.case_step(
            action=step["action"], client_uuid=step["uuid"], base_version=step["base_version"], at=step["at"],
            lon=step["lon"], lat=step["lat"], note=step["note"], photo_uuids=step["photo_uuids"]))
        self.store.set_step_result(step["uuid"], {"applied": result["applied"], "outcome": result["event"]["outcome"],
                                                  "status": result["case"]["status"],
                                                  "status_label": result["case"]["status_label"]})

    def _send_problem(self, item: dict) -> None:
        p = self.store.problem(item["ref"])
        self.client.json("POST", "/api/v1/problems", json=wire.problem_report(
            uuid=p["uuid"], category=p["category"], severity=p["severity"], description=p["description"],
            lon=p["lon"], lat=p["lat"], accuracy_m=p["accuracy"], reported_at=p["reported_at"],
            photo_uuids=p["photo_uuids"], patrol_uuid=p["patrol_uuid"]))
