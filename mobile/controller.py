"""What the screens ask for, without Kivy: sign-in, cards, patrols, problems, outbox.

Screens call these and show the result; long work (network) runs in threads and the
screens are told through callbacks scheduled on the Kivy clock by the app.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import uuid as uuidlib
from dataclasses import fields
from pathlib import Path

from PIL import Image, ImageOps

from shared_models.clock import local_midnight, local_today, timestamp
from shared_models.enums import PROBLEM_CATEGORIES
from shared_models.track.geometry import distance_m
from shared_models.track.verdict import AnalysisResult, ValidityRule

from .api_client import ApiClient, ApiFailure
from .platform.paths import store_path
from .recorder import PatrolRecorder
from .store import LocalStore
from .sync import SyncEngine

PHOTO_LONG_EDGE = 1600
# Measured on the real photos in tests/data/photos at 1600 px (make bench: bench/photos.py): quality 85 gave a
# median of 253 KB and 554 KB for the stream in a forest, the kind of picture a river patrol takes; 80 with
# optimised Huffman tables gives 208 KB and 476 KB at a PSNR of 38 dB (no visible loss on a phone or in the
# console), leaving room for noisier phone sensors under the 300 KB median a weak network needs.
PHOTO_QUALITY = 80
CAPTURE_FIX_S = 120.0  # a fix older than this is not where the photo was taken
FIX_MAX_AGE_S = 60.0  # a problem or a re-check is placed only by a fix of the last minute: never an old one
REMIND_AT = dt.timedelta(hours=9)  # reminders go off at 09:00 local time (or at once, when that is past)
RECHECK_RADIUS_M = 200.0  # the server's own rule, until a sync brings the task's (``recheck_radius_m``)


def rule_of(card: dict | None) -> ValidityRule:
    """The card's validity rule as the server last sent it (the county's: e.g. Akqi 30 min / 2 km)."""
    known = {f.name for f in fields(ValidityRule)}
    given = {k: v for k, v in ((card or {}).get("validity") or {}).items() if k in known}
    return ValidityRule(**given) if given else ValidityRule()


class Controller:
    def __init__(self, data_dir: str | Path, server: str, device_id: str = "desktop") -> None:
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "photos").mkdir(exist_ok=True)
        self.store = LocalStore(store_path(self.data_dir))
        self.server = server
        self.device_id = device_id
        self.client: ApiClient | None = None
        self.sync: SyncEngine | None = None
        self.recorder: PatrolRecorder | None = None
        self.last_fix: dict | None = None
        self.last_fix_at = 0.0  # when it arrived (a replayed fix carries the file's time, not now)
        self._voice: tuple | None = None  # the voice note being recorded: (recorder, file, when it began)
        self.reachable: bool | None = None  # did the server answer the last sync (None: not tried yet)
        self.sync_listeners: list = []  # called (from the sync's thread) with each sync's outcome
        account = self.store.current_account()
        if account and account["refresh_token"]:
            self._attach(account)

    # --- account ------------------------------------------------------------------------

    @property
    def account(self) -> dict | None:
        return self.store.current_account()

    def _attach(self, account: dict) -> None:
        self.client = ApiClient(account["server"], account["refresh_token"])
        self.sync = SyncEngine(self.store, self.client, account["user_id"])
        self.recorder = PatrolRecorder(self.store, account["user_id"])

    def login(self, phone: str, password: str) -> dict:
        """Sign in once; afterwards the app works offline with the stored refresh token."""
        client = ApiClient(self.server)
        body = client.login(phone, password, self.device_id)
        self.store.save_account(body["user"], self.server, body["refresh_token"], body["session_id"])
        self._attach(self.store.current_account())
        self.client.access_token = client.access_token
        self.sync.pull()
        return body["user"]

    def logout(self) -> None:
        """Sign out; what is not yet uploaded stays on the phone for this person."""
        self.store.sign_out()
        self.client = self.sync = self.recorder = None

    # --- cards --------------------------------------------------------------------------

    def cards(self) -> list[dict]:
        cached = self.store.cards(self.account["user_id"]) if self.account else None
        return cached["cards"] if cached else []

    def week_count(self, card: dict, today: dt.date | None = None) -> int:
        """Patrols recorded this week (Monday to Sunday, Asia/Shanghai) under this card number."""
        today = today or local_today()
        monday = local_midnight(today - dt.timedelta(days=today.weekday())).timestamp()
        ids = {c["id"] for c in self.cards() if c["card_no"] == card["card_no"]}
        return sum(1 for p in self.store.patrols(self.account["user_id"])
                   if p["card_id"] in ids and p["started_at"] >= monday and p["state"] != "recording")

    # --- patrols ------------------------------------------------------------------------

    def start_patrol(self, card: dict) -> str:
        return self.recorder.start(card["id"], [s["id"] for s in card["segments"]])

    def resume_patrol(self) -> str | None:
        return self.recorder.resume_after_restart() if self.recorder else None

    def note_fix(self, fix: dict) -> None:
        """Where the inspector is now (a re-check's or a photo's position), without recording it."""
        self.last_fix, self.last_fix_at = fix, timestamp()

    def on_fix(self, fix: dict) -> None:
        self.note_fix(fix)
        if self.recorder:
            self.recorder.on_fix(fix)

    def card_of_patrol(self, patrol_uuid: str) -> dict | None:
        patrol = self.store.patrol(patrol_uuid)
        return next((c for c in self.cards() if c["id"] == patrol["card_id"]), None) if patrol else None

    def preview(self) -> AnalysisResult:
        card = self.card_of_patrol(self.recorder.patrol_uuid)
        # the card's GeoJSON as the server sent it: the shared analysis reads it without Shapely
        segments = [s["geometry"] for s in card["segments"] if s.get("geometry")] if card else None
        grid = card["grid"]["boundary"] if card and card["grid"].get("boundary") else None
        return self.recorder.preview(segments or None, grid, rule_of(card))

    def finish_patrol(self, checklist: dict, notes: str) -> str:
        """End the patrol; the phone's own verdict is kept beside it until the server's arrives (home counts a
        finished, valid patrol not yet uploaded; the history shows its distance and time)."""
        result = self.preview()
        patrol_uuid = self.recorder.finish(checklist, notes)
        self.store.set_meta(f"preview:{patrol_uuid}", json.dumps({
            "valid": result.valid, "distance_m": result.distance_m, "duration_s": result.duration_s,
            "reason_messages": [{"code": r.code, "zh": r.zh} for r in result.reasons],
            "flags": [{"code": f.code} for f in result.flags]}, ensure_ascii=False))
        return patrol_uuid

    def unsent_patrols(self, card: dict) -> list[dict]:
        """Finished patrols under this card number that the server has not judged yet: the phone's verdicts."""
        ids = {c["id"] for c in self.cards() if c["card_no"] == card["card_no"]}
        return [self.phone_verdict(p["uuid"]) for p in self.store.patrols(self.account["user_id"])
                if p["card_id"] in ids and p["state"] == "finalized"]

    def phone_verdict(self, patrol_uuid: str) -> dict:
        kept = self.store.get_meta(f"preview:{patrol_uuid}")
        return json.loads(kept) if kept else {}

    def history(self) -> list[dict]:
        out = []
        for p in self.store.patrols(self.account["user_id"]):
            out.append({**p, "verdict": json.loads(p["verdict"]) if p["verdict"] else None,
                        "phone_verdict": self.phone_verdict(p["uuid"]) if not p["verdict"] else None})
        return out

    # --- problems -----------------------------------------------------------------------

    def prepare_photo(self, source: str | Path, origin: str = "camera") -> dict:
        """Shrink to at most 1600 px (JPEG) before queuing: less to send over a weak network. The photo keeps
        when it was taken and where the recorder was then (a fix of the last two minutes), and whether it came
        from the camera or from the phone's pictures (``origin``: camera | gallery)."""
        with Image.open(source) as img:
            exif = img.getexif()
            upright = ImageOps.exif_transpose(img).convert("RGB")
        if Path(source).parent == self.data_dir / "incoming":  # the camera's full-size copy: not kept twice
            Path(source).unlink(missing_ok=True)
        upright.thumbnail((PHOTO_LONG_EDGE, PHOTO_LONG_EDGE))
        buf = io.BytesIO()
        if exif:
            exif.pop(0x0112, None)  # orientation applied above
        upright.save(buf, "JPEG", quality=PHOTO_QUALITY, optimize=True, exif=exif)
        data = buf.getvalue()
        photo_uuid = str(uuidlib.uuid4())
        path = self.data_dir / "photos" / f"{photo_uuid}.jpg"
        path.write_bytes(data)
        fix = self.position_now() or {}
        return {"uuid": photo_uuid, "path": str(path), "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                "captured_at": timestamp(), "source": origin, "capture_lon": fix.get("lon"),
                "capture_lat": fix.get("lat"), "capture_accuracy": fix.get("accuracy")}

    def position_now(self, max_age_s: float = CAPTURE_FIX_S) -> dict | None:
        """Where the inspector is: this process's last fix if it arrived lately, else the recording service's
        last one from the store, by its time on the phone's clock; None when neither is that recent."""
        now = timestamp()
        if self.last_fix and now - self.last_fix_at <= max_age_s:
            return self.last_fix
        stored = self._latest_stored_fix()
        return stored if stored and now - stored["t"] <= max_age_s else None

    def fix_age(self, fix: dict) -> float:
        """Seconds since ``fix`` (one of position_now's): by its arrival here, or by its time on the phone's clock."""
        return max(0.0, timestamp() - (self.last_fix_at if fix is self.last_fix else fix["t"]))

    def start_voice(self) -> None:
        """Start recording a voice note for the report being written (the microphone: MediaRecorder on a phone)."""
        from .platform import on_android
        from .platform.voice import SUFFIX, recorder

        folder = self.data_dir / "voice"
        folder.mkdir(exist_ok=True)
        self._voice = (recorder(), folder / f"{uuidlib.uuid4()}{SUFFIX[on_android()]}", timestamp())
        self._voice[0].start(self._voice[1])

    def voice_seconds(self) -> float | None:
        """How long the recording in progress has run, or None when none is."""
        return timestamp() - self._voice[2] if self._voice else None

    def stop_voice(self) -> dict | None:
        """The voice note just recorded, ready to queue with its problem; None when nothing usable was recorded."""
        from .platform.voice import MAX_SECONDS

        voice, self._voice = self._voice, None
        if voice is None:
            return None
        rec, path, began = voice
        if not rec.stop() or not path.exists() or path.stat().st_size == 0:
            path.unlink(missing_ok=True)
            return None
        data = path.read_bytes()
        return {"uuid": path.stem, "path": str(path), "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                "seconds": min(MAX_SECONDS, timestamp() - began), "recorded_at": began}

    def report_problem(self, category: str, severity: str, description: str, photos: list[dict],
                       voice: dict | None = None) -> str:
        fix = self.position_now(FIX_MAX_AGE_S)
        if not fix:
            raise ValueError("还没有定位。请到开阔处稍等，定位后再提交（已填的内容不会丢）")
        patrol_uuid = self.recorder.patrol_uuid if self.recorder else None
        return self.store.add_problem(self.account["user_id"], {
            "category": category, "severity": severity, "description": description, "lon": fix["lon"],
            "lat": fix["lat"], "accuracy": fix.get("accuracy"), "reported_at": fix.get("t") or timestamp(),
            "patrol_uuid": patrol_uuid}, photos, voice)

    def _latest_stored_fix(self) -> dict | None:
        """On a phone the recording service writes the fixes; the last one is where we are."""
        rec = self.recorder
        if not rec or not rec.patrol_uuid:
            return None
        return self.store.last_fix(rec.patrol_uuid)

    def categories(self) -> dict[str, str]:
        """Problem categories {name: code}: the county's as last synced, else the built-in ones."""
        cached = self.store.get_meta(f"categories:{self.account['user_id']}") if self.account else None
        if cached:
            return {c["name"]: c["code"] for c in json.loads(cached)}
        return {zh: code for code, (zh, _en) in PROBLEM_CATEGORIES.items()}

    # --- re-check tasks (复核) -------------------------------------------------------------

    def tasks(self) -> list[dict]:
        return self.store.tasks(self.account["user_id"]) if self.account else []

    def task_photo(self, photo_uuid: str) -> str | None:
        """The cached copy of a task's before- or after-photo (fetched at the last sync)."""
        return self.store.cached_photo(photo_uuid)

    def recheck(self, task: dict, passed: bool, note: str, photos: list[dict]) -> str:
        """Re-check on site, offline if need be: the phone's position and time, queued for the server."""
        fix = self.position_now(FIX_MAX_AGE_S)
        if not fix:
            raise ValueError("还没有定位。请到现场开阔处稍等，定位后再复核")
        radius = task.get("recheck_radius_m") or RECHECK_RADIUS_M
        away = distance_m(task["lon"], task["lat"], fix["lon"], fix["lat"])
        if away > radius:  # the server would refuse it: say so now, on site, not after the upload
            raise ValueError(f"您离问题位置 {away:.0f} 米，须到现场（{radius:.0f} 米以内）才能复核")
        if not passed and not note.strip():
            raise ValueError("复核不通过，请写明原因")
        return self.store.add_case_step(self.account["user_id"], {
            "case_no": task["case_no"], "action": "recheck_pass" if passed else "recheck_fail",
            "base_version": task["version"], "at": fix.get("t") or timestamp(),
            "lon": fix["lon"], "lat": fix["lat"], "note": note}, photos)

    def rectify(self, task: dict, note: str, photos: list[dict]) -> str:
        """整改完成, as the case's responsible person: after-photos (at least one) and what was done, with where
        the phone was if it knows (offline if need be)."""
        if not photos:
            raise ValueError("请先拍整改后的现场照片")
        if not note.strip():
            raise ValueError("请写明怎么整改的")
        fix = self.position_now(FIX_MAX_AGE_S) or {}
        return self.store.add_case_step(self.account["user_id"], {
            "case_no": task["case_no"], "action": "rectify", "base_version": task["version"], "at": timestamp(),
            "lon": fix.get("lon"), "lat": fix.get("lat"), "note": note}, photos)

    # --- outbox -------------------------------------------------------------------------

    def outbox(self) -> list[dict]:
        return self.store.outbox(self.account["user_id"]) if self.account else []

    def inbox(self) -> list[dict]:
        """My messages as last synced, newest first; those read on the phone already marked read."""
        if not self.account:
            return []
        uid = self.account["user_id"]
        read_upto = int(self.store.get_meta(f"inbox_read:{uid}") or 0)
        items = json.loads(self.store.get_meta(f"inbox:{uid}") or "[]")
        return [{**i, "read": i["read"] or i["id"] <= read_upto} for i in items]

    def inbox_synced(self) -> bool:
        return bool(self.account) and self.store.get_meta(f"inbox:{self.account['user_id']}") is not None

    def unread(self) -> int:
        return sum(1 for i in self.inbox() if not i["read"])

    def read_inbox(self) -> None:
        """Everything shown is read; the server hears at the next sync (offline too)."""
        items = self.inbox()
        if items:
            uid = self.account["user_id"]
            upto = max(int(self.store.get_meta(f"inbox_read:{uid}") or 0), max(i["id"] for i in items))
            self.store.set_meta(f"inbox_read:{uid}", str(upto))

    def sync_now(self) -> dict:
        """Send what waits and pull what changed; ``reachable`` remembers whether the server answered (the status
        strip says 没有网络 when it did not); what the inspector should hear of becomes a notification; every
        listener (the screen on show) hears that a sync ended."""
        if not self.sync:
            return {"sent": 0, "failed": 0, "sign_in_required": True}
        try:
            report = self.sync.run_once(ignore_backoff=True)
        except ApiFailure as exc:
            self.reachable = exc.status is not None
            out = {"sent": 0, "failed": 1, "error": str(exc), "sign_in_required": False}
        else:
            self.reachable = self.sync.reachable if self.sync.reachable is not None else True
            out = {"sent": len(report.sent), "failed": len(report.failed),
                   "sign_in_required": report.sign_in_required}
        self.tell_news()
        for listener in self.sync_listeners:
            listener(out)
        return out

    def tell_news(self) -> None:
        from .platform.notify import notify

        while self.sync and self.sync.news:
            title, text = self.sync.news.pop(0)
            notify(title, text)

    def my_problems(self) -> list[dict]:
        """My reports: those still on the phone first (待上传), then the server's latest with each case's state."""
        uid = self.account["user_id"]
        names = {code: name for name, code in self.categories().items()}
        waiting = [{"category_label": names.get(p["category"], "其他"), "reported_at": p["reported_at"],
                    "status_label": "待上传"} for p in (self.store.problem(i["ref"]) for i in self.outbox()
                                                      if i["kind"] == "problem" and i["state"] != "synced") if p]
        kept = json.loads(self.store.get_meta(f"problems:{uid}") or "[]")
        return waiting + kept

    def reminders(self, today: dt.date | None = None) -> list[str]:
        """Windows about to close unmet, each said once a day (from the cards' last synced counts, offline too)."""
        from .words import reminder_text

        today = today or local_today()
        out = []
        for card in self.cards():
            text = reminder_text(card.get("compliance"), today)
            key = f"reminded:{self.account['user_id']}:{card['card_no']}:{today.isoformat()}"
            if text and not self.store.get_meta(key):
                self.store.set_meta(key, "1")
                out.append(text)
        return out

    def schedule_reminders(self, scheduler) -> None:
        """On a phone: each card's reminder days (the day before its window closes and its last day), at 09:00 local
        time, handed to the phone's scheduler (``scheduler.schedule(name, delay_s, title, text)`` / ``cancel(name)``)
        so they come with the app closed; again after every sync, from its counts. A window met since is taken back;
        one that already went off today is not said again."""
        from .words import REMIND_DAYS, reminder_text

        now, today, uid = timestamp(), local_today(), self.account["user_id"]
        for card in self.cards():
            done = card.get("compliance") or {}
            if not done.get("window_end"):
                continue
            end = dt.date.fromisoformat(done["window_end"])
            for day in (end - dt.timedelta(days=d) for d in range(REMIND_DAYS, -1, -1)):
                if day < today:
                    continue
                name, text = f"remind:{uid}:{card['card_no']}:{day.isoformat()}", reminder_text(done, day)
                at, kept = (local_midnight(day) + REMIND_AT).timestamp(), self.store.get_meta(f"work:{name}")
                if text is None:
                    if kept and kept != "-":
                        scheduler.cancel(name)
                        self.store.set_meta(f"work:{name}", "-")
                elif kept != text and not (at <= now and kept is not None):
                    scheduler.schedule(name, at - now, "巡河提醒", text)
                    self.store.set_meta(f"work:{name}", text)

    def basemap(self):
        """The county's tile package when it is on the phone whole (else None: the map draws the vectors)."""
        from . import basemap

        kept = json.loads(self.store.get_meta(f"basemap:{self.account['user_id']}") or "null") if self.account \
            else None
        path = basemap.ready(self.data_dir, kept)
        if path is None:
            return None
        if getattr(self, "_tiles", None) is None or self._tiles[0] != path:
            self._tiles = (path, basemap.Tiles(path, kept["format"], kept["min_zoom"], kept["max_zoom"]))
        return self._tiles[1]

    def month(self) -> dict | None:
        """My month as the assessment computed it at the last sync: {period, fetched_at, body}."""
        kept = self.store.get_meta(f"month:{self.account['user_id']}") if self.account else None
        return json.loads(kept) if kept else None

    def refresh_month(self) -> dict | None:
        if not self.sync:
            return self.month()
        try:
            return self.sync.pull_month(force=True)
        except ApiFailure:
            return self.month()
