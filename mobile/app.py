"""The Kivy app: screens over the Controller. Layout lives in kv/*.kv, one file per screen."""
from __future__ import annotations

import datetime as dt
import json
import math
import threading
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.graphics import Color, Line
from kivy.lang import Builder
from kivy.properties import ListProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.checkbox import CheckBox
from kivy.uix.label import Label
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager
from kivy.uix.widget import Widget
from pyproj import Geod

from shared_models.clock import LOCAL_TZ, timestamp, utcnow
from shared_models.enums import PROBLEM_CATEGORIES, SEVERITIES

from .controller import Controller
from .platform import gps_service, on_android
from .platform.camera import take_photo
from .platform.network import network_available

KV = Path(__file__).parent / "kv"
STATES = {"finalized": "待发送", "sending": "发送中", "synced": "已上传", "failed": "失败"}
KINDS = {"patrol": "巡河", "photo": "照片", "problem": "问题", "case_step": "复核"}


class MapView(Widget):
    """Grid, segments and track drawn on a plain canvas from cached GeoJSON: no tiles needed."""

    rings = ListProperty([])  # grid boundary rings, [(lon, lat), ...]
    segments = ListProperty([])
    track = ListProperty([])

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        # one redraw per frame, after layout, however many properties change
        trigger = Clock.create_trigger(self.redraw)
        self.bind(pos=trigger, size=trigger, rings=trigger, segments=trigger, track=trigger)

    def redraw(self, *_args) -> None:
        self.canvas.clear()
        points = [p for ring in self.rings for p in ring] + [p for s in self.segments for p in s] + list(self.track)
        if not points:
            return
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        kx = math.cos(math.radians(sum(lats) / len(lats)))  # metres east per degree shrink with latitude
        w, h = max(max(lons) - min(lons), 1e-6) * kx, max(max(lats) - min(lats), 1e-6)
        scale = min((self.width - 20) / w, (self.height - 20) / h)

        def xy(p):
            return [self.x + 10 + (p[0] - min(lons)) * kx * scale, self.y + 10 + (p[1] - min(lats)) * scale]

        with self.canvas:
            Color(0.55, 0.55, 0.55, 1)
            for ring in self.rings:
                Line(points=[c for p in ring for c in xy(p)], width=1.2, close=True)
            Color(0.1, 0.45, 0.85, 1)
            for seg in self.segments:
                Line(points=[c for p in seg for c in xy(p)], width=3)
            if len(self.track) > 1:
                Color(0.9, 0.35, 0.1, 1)
                Line(points=[c for p in self.track for c in xy(p)], width=2)


def _wrapping(label: Label) -> Label:
    """A label that wraps at its own width, whatever the layout gives it."""
    label.bind(width=lambda lbl, w: setattr(lbl, "text_size", (w, None)))
    return label


def _rings(geometry: dict | None) -> list:
    if not geometry:
        return []
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [ring for poly in polys for ring in poly]


def _fmt_duration(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m // 60:d}:{m % 60:02d}:{s:02d}"


class LoginScreen(Screen):
    def login(self) -> None:
        phone, password = self.ids.phone.text.strip(), self.ids.password.text
        self.ids.message.text = "正在登录…"
        app = App.get_running_app()

        def work() -> None:
            try:
                app.controller.login(phone, password)
            except Exception as exc:  # shown to the person; nothing is lost
                self.show(f"登录失败：{exc}")
                return
            self.done()

        threading.Thread(target=work, daemon=True).start()

    @mainthread
    def show(self, text: str) -> None:
        self.ids.message.text = text

    @mainthread
    def done(self) -> None:
        self.ids.message.text = ""
        App.get_running_app().goto("home")


def _gap_hint(next_counted_after: str | None, now: dt.datetime | None = None) -> str:
    """Akqi's 96 hours: how long until a new patrol counts again (from the last sync's figure)."""
    if not next_counted_after:
        return ""
    left = dt.datetime.fromisoformat(next_counted_after) - (now or utcnow())
    hours = math.ceil(left.total_seconds() / 3600)
    return f"\n距下次巡河可计入还有 {hours} 小时" if hours > 0 else ""


class HomeScreen(Screen):
    def on_pre_enter(self, *_args) -> None:
        app = App.get_running_app()
        c = app.controller
        self.ids.title.text = f"{c.account['name']} 的责任卡"
        waiting = len(c.tasks())
        self.ids.tasks_btn.text = f"复核任务（{waiting}）" if waiting else "复核任务"
        box = self.ids.cards_box
        box.clear_widgets()
        for card in c.cards():
            done = card.get("compliance")
            if done:  # the server's count, as of the last sync
                due = f"，{done['next_due'][5:]} 前完成" if done.get("next_due") else ""
                progress = f"{done['text']}{due}{_gap_hint(done.get('next_counted_after'))}"
            else:
                progress = f"本周 已巡 {c.week_count(card)} 次 · {card['frequency_summary']}"
            text = (f"[b]{' / '.join(card['grid_path_names'])}[/b]\n"
                    f"河段：{'、'.join(s['name'] for s in card['segments']) or '（本网格水体）'}\n{progress}")
            row = BoxLayout(orientation="vertical", size_hint_y=None, height=240, spacing=4)
            row.add_widget(_wrapping(Label(text=text, markup=True, halign="left")))
            buttons = BoxLayout(size_hint_y=None, height=64, spacing=6)
            buttons.add_widget(Button(text="责任卡详情", on_release=lambda _b, card=card: app.show_card(card)))
            buttons.add_widget(Button(text="开始巡河", background_color=(0.1, 0.55, 0.3, 1),
                                      on_release=lambda _b, card=card: app.start_patrol(card)))
            row.add_widget(buttons)
            box.add_widget(row)
        pending = c.store.pending_count(c.account["user_id"])
        self.ids.outbox_btn.text = f"待上传 ({pending})"
        self.ids.status.text = "全部已上传" if not pending else f"{pending} 项等待网络上传"

    def logout(self) -> None:
        App.get_running_app().controller.logout()
        App.get_running_app().goto("login")


class CardScreen(Screen):
    def show(self, card: dict) -> None:
        self.ids.title.text = card["grid"]["name"] + " 责任卡"
        self.ids.map.rings = _rings(card["grid"].get("boundary"))
        self.ids.map.segments = [s["geometry"]["coordinates"] for s in card["segments"]]
        sup = card.get("supervisor") or {}
        duties = "\n".join(f"· {d}" for d in card["duties"])
        self.ids.details.text = (f"编号 {card['card_no']}（第 {card['version']} 版，{card['valid_from']} 起）\n"
                                 f"巡河要求：{card['frequency_summary']}\n职责：\n{duties}\n"
                                 f"网格长：{sup.get('name', '—')} {sup.get('phone', '')}")


class PatrolScreen(Screen):
    started = 0.0

    def begin(self, card: dict | None) -> None:
        self.card = card
        self.started = timestamp()
        self.ids.title.text = f"巡河中 · {card['grid']['name']}" if card else "巡河中"
        self.ids.map.rings = _rings(card["grid"].get("boundary")) if card else []
        self.ids.map.segments = [s["geometry"]["coordinates"] for s in card["segments"]] if card else []
        self._tick = Clock.schedule_interval(self.refresh, 2.0)

    def refresh(self, *_args) -> None:
        c = App.get_running_app().controller
        if not c.recorder or not c.recorder.patrol_uuid:
            return
        result = c.preview()
        track = c.store.track(c.recorder.patrol_uuid)
        self.ids.map.track = list(zip(track.lon.tolist(), track.lat.tolist(), strict=True))[-2000:]
        coverage = "—" if result.coverage is None else f"{result.coverage:.0%}"
        self.ids.stats.text = (f"{_fmt_duration(result.duration_s)}   {result.distance_m / 1000:.2f} 公里\n"
                               f"河段覆盖 {coverage} · 定位点 {result.fixes}")
        self.ids.hint.text = "已暂停" if c.recorder.paused else ("本次巡河将计为有效" if result.valid else
                                                               "尚未达到有效巡河要求")

    def toggle_pause(self) -> None:
        rec = App.get_running_app().controller.recorder
        if rec.paused:
            rec.resume()
            self.ids.pause_btn.text = "暂停"
        else:
            rec.pause()
            self.ids.pause_btn.text = "继续"

    def end(self) -> None:
        self._tick.cancel()
        App.get_running_app().finish_patrol(self.card)


class FinishScreen(Screen):
    def prepare(self, card: dict | None, result) -> None:
        reasons = "\n".join(f"· {r.zh}" for r in result.reasons)
        flags = "、".join(f.code for f in result.flags)
        self.ids.verdict.text = (("[b]本次巡河将计为有效[/b]" if result.valid else f"[b]本次巡河不计入[/b]\n{reasons}")
                                 + f"\n时长 {_fmt_duration(result.duration_s)}，距离 {result.distance_m:.0f} 米"
                                 + (f"\n需人工复核：{flags}" if flags else ""))
        self.ids.verdict.markup = True
        self.checks = {}
        self.ids.checklist.clear_widgets()
        for duty in (card or {}).get("duties", []):
            row = BoxLayout(size_hint_y=None, height=64)
            box = CheckBox(size_hint_x=None, width=64, active=True)
            row.add_widget(box)
            row.add_widget(_wrapping(Label(text=duty, font_size="18sp", halign="left")))
            self.checks[duty] = box
            self.ids.checklist.add_widget(row)

    def submit(self) -> None:
        app = App.get_running_app()
        checklist = {duty: "已查" if box.active else "未查" for duty, box in self.checks.items()}
        app.controller.finish_patrol(checklist, self.ids.notes.text)
        app.stop_gps()
        app.sync_in_background()
        app.goto("home")


class ProblemScreen(Screen):
    category_names = ListProperty([v[0] for v in PROBLEM_CATEGORIES.values()])
    severity_names = ListProperty([v[0] for v in SEVERITIES.values()])

    def on_pre_enter(self, *_args) -> None:
        self.category_names = list(App.get_running_app().controller.categories())
        self.photos = []
        self.ids.photos.text = "尚未添加照片"
        self.ids.message.text = ""
        self.ids.description.text = ""

    def choose_photo(self) -> None:
        """The camera on a phone; a file chooser on the desktop."""
        take_photo(mainthread(lambda path: self.add_photo(path) if path else None))

    def add_photo(self, path: str) -> None:
        self.photos.append(App.get_running_app().controller.prepare_photo(path))
        self.ids.photos.text = f"已添加 {len(self.photos)} 张照片（已压缩）"

    def submit(self) -> None:
        app = App.get_running_app()
        code = app.controller.categories()[self.ids.category.text]
        severity = {v[0]: k for k, v in SEVERITIES.items()}[self.ids.severity.text]
        try:
            app.controller.report_problem(code, severity, self.ids.description.text, self.photos)
        except ValueError as exc:
            self.ids.message.text = str(exc)
            return
        app.sync_in_background()
        self.leave()

    def leave(self) -> None:
        app = App.get_running_app()
        rec = app.controller.recorder
        app.goto("patrol" if rec and rec.patrol_uuid else "home")


class OutboxScreen(Screen):
    def on_pre_enter(self, *_args) -> None:
        self.refresh()

    def refresh(self, *_args) -> None:
        lines = []
        for item in reversed(App.get_running_app().controller.outbox()):
            left = max(0, item["bytes_total"] - item["bytes_sent"])
            extra = f"，剩余 {left / 1024:.0f} KB" if item["kind"] == "photo" and item["state"] != "synced" else ""
            error = f"\n    原因：{item['last_error']}" if item["last_error"] and item["state"] != "synced" else ""
            state = STATES[item["state"]]
            if item["state"] == "failed" and not item["permanent"]:
                state = "等待重试"  # it goes by itself when the network is back
            lines.append(f"{KINDS[item['kind']]} · {state}{extra}{error}")
        self.ids.item_list.text = "\n".join(lines) or "没有待上传的内容"

    def sync_now(self) -> None:
        self.ids.status.text = "正在同步…"
        app = App.get_running_app()

        def work() -> None:
            report = app.controller.sync_now()
            self.done(report)

        threading.Thread(target=work, daemon=True).start()

    @mainthread
    def done(self, report: dict) -> None:
        if report.get("sign_in_required"):
            self.ids.status.text = "登录已失效，请重新登录（数据不会丢失）"
        else:
            self.ids.status.text = f"已上传 {report['sent']} 项" + (f"，{report['failed']} 项失败" if report["failed"]
                                                                 else "")
        self.refresh()


class HistoryScreen(Screen):
    def on_pre_enter(self, *_args) -> None:
        lines = []
        for p in App.get_running_app().controller.history():
            day = dt.datetime.fromtimestamp(p["started_at"], LOCAL_TZ).strftime("%m-%d %H:%M")
            v = p["verdict"]
            if v is None:
                verdict = "待上传" if p["state"] != "recording" else "进行中"
            else:
                verdict = "有效" if v["valid"] else "不计入"
                if v.get("flags"):
                    verdict += "，需复核：" + "、".join(f["code"] for f in v["flags"])
            lines.append(f"{day} · {verdict}")
        self.ids.item_list.text = "\n".join(lines) or "还没有巡河记录"


class TasksScreen(Screen):
    """Re-checks (复核) the server gave this inspector, kept for offline; steps already taken listed below."""

    def on_pre_enter(self, *_args) -> None:
        c = App.get_running_app().controller
        box = self.ids.tasks_box
        box.clear_widgets()
        for task in c.tasks():
            deadline = f" · 期限 {task['deadline'][5:]}" if task.get("deadline") else ""
            text = (f"[b]{task['category_label']}[/b] {task['case_no']}{deadline}\n{task['description']}\n"
                    f"整改说明：{task.get('rectify_note') or '—'}")
            row = BoxLayout(orientation="vertical", size_hint_y=None, height=200, spacing=4)
            row.add_widget(_wrapping(Label(text=text, markup=True, halign="left")))
            go = Button(text="去现场复核", size_hint_y=None, height=56)
            go.bind(on_release=lambda _b, t=task: App.get_running_app().open_recheck(t))
            row.add_widget(go)
            box.add_widget(row)
        if not box.children:
            box.add_widget(Label(text="没有待复核的任务", size_hint_y=None, height=60))
        lines = []
        for step in c.store.case_steps(c.account["user_id"])[:10]:
            result = json.loads(step["result"]) if step["result"] else None
            verdict = "待上传" if result is None else (
                f"已生效：{result['status_label']}" if result["applied"] else "已被他人处理，待网格长审阅")
            action = "复核通过" if step["action"] == "recheck_pass" else "复核不通过"
            lines.append(f"{step['case_no']} {action} · {verdict}")
        self.ids.done.text = "\n".join(lines)


class RecheckScreen(Screen):
    """On site: the before-photo beside the new one, the phone's position, pass or fail."""

    def show(self, task: dict) -> None:
        self.task, self.photos = task, []
        c = App.get_running_app().controller
        self.ids.title.text = f"现场复核 {task['case_no']}"
        self.ids.info.text = (f"{task['category_label']}：{task['description']}\n"
                              f"整改说明：{task.get('rectify_note') or '—'}")
        before = next((c.task_photo(u) for u in task.get("before_photo_uuids", []) if c.task_photo(u)), None)
        after = next((c.task_photo(u) for u in task.get("after_photo_uuids", []) if c.task_photo(u)), None)
        self.ids.before.source = before or ""
        self.ids.now.source = after or ""  # the assignee's after-photo until one is taken here
        self.ids.note.text = self.ids.message.text = ""
        self._tick = Clock.schedule_interval(self.where, 1.0)
        self.where()

    def where(self, *_args) -> None:
        fix = App.get_running_app().controller.last_fix
        if not fix:
            self.ids.position.text = "正在定位…"
            return
        distance = Geod(ellps="WGS84").inv(self.task["lon"], self.task["lat"], fix["lon"], fix["lat"])[2]
        self.ids.position.text = f"距问题位置 {distance:.0f} 米" + ("" if distance <= 200 else "（请到现场）")

    def choose_photo(self) -> None:
        take_photo(mainthread(lambda path: self.add_photo(path) if path else None))

    def add_photo(self, path: str) -> None:
        photo = App.get_running_app().controller.prepare_photo(path)
        self.photos.append(photo)
        self.ids.now.source = photo["path"]

    def submit(self, passed: bool) -> None:
        app = App.get_running_app()
        try:
            app.controller.recheck(self.task, passed, self.ids.note.text, self.photos)
        except ValueError as exc:
            self.ids.message.text = str(exc)
            return
        app.sync_in_background()
        self.leave()

    def leave(self) -> None:
        self._tick.cancel()
        App.get_running_app().close_recheck()


class RiverPatrolApp(App):
    title = "河巡"

    def __init__(self, controller: Controller, gpx: str | None = None, speed: float = 1.0, **kw) -> None:
        super().__init__(**kw)
        self.controller = controller
        self.gpx = gpx
        self.speed = speed
        self.gps = None

    def build(self):
        for name in ("common", "login", "home", "card", "patrol", "problem", "lists", "tasks"):
            Builder.load_file(str(KV / f"{name}.kv"))
        self.sm = ScreenManager(transition=NoTransition())
        for cls in (LoginScreen, HomeScreen, CardScreen, PatrolScreen, FinishScreen, ProblemScreen, OutboxScreen,
                    HistoryScreen, TasksScreen, RecheckScreen):
            self.sm.add_widget(cls())
        Clock.schedule_once(self._first_screen, 0)
        Clock.schedule_interval(lambda _dt: self.sync_in_background(quiet=True), 60)
        return self.sm

    def _first_screen(self, _dt) -> None:
        if not self.controller.account or not self.controller.recorder:
            self.goto("login")
            return
        resumed = self.controller.resume_patrol()
        if resumed:  # the app was killed mid-patrol: carry on
            self._open_patrol(self.controller.card_of_patrol(resumed))
        else:
            self.goto("home")

    def goto(self, name: str) -> None:
        self.sm.current = name

    def show_card(self, card: dict) -> None:
        self.sm.get_screen("card").show(card)
        self.goto("card")

    def start_patrol(self, card: dict) -> None:
        self.controller.start_patrol(card)
        self._open_patrol(card)

    def _open_patrol(self, card: dict | None) -> None:
        self.start_gps()
        self.sm.get_screen("patrol").begin(card)
        self.goto("patrol")

    def finish_patrol(self, card: dict | None) -> None:
        self.sm.get_screen("finish").prepare(card, self.controller.preview())
        self.goto("finish")

    def open_recheck(self, task: dict) -> None:
        """A re-check needs the phone's position: the GPS runs while the screen is open (unless a patrol
        is being recorded, whose GPS already runs)."""
        if self.gps is None:
            self.gps = gps_service(self.controller.on_fix, lambda _status: None, self.gpx, self.speed, 0)
            self.gps.start()
            self._gps_for_recheck = True
        self.sm.get_screen("recheck").show(task)
        self.goto("recheck")

    def close_recheck(self) -> None:
        if getattr(self, "_gps_for_recheck", False):
            self.stop_gps()
            self._gps_for_recheck = False
        self.goto("tasks")

    def start_gps(self) -> None:
        if on_android():  # a foreground service records, so the screen may go off
            from .platform.android import start_recording_service

            start_recording_service()
            return
        rec = self.controller.recorder
        already = len(self.controller.store.track(rec.patrol_uuid)) if rec.patrol_uuid else 0
        self.gps = gps_service(self.controller.on_fix, lambda status: rec.on_event(status)
                               if status in ("gps_lost", "gps_regained") else None, self.gpx, self.speed, already)
        self.gps.start()

    def stop_gps(self) -> None:
        if self.gps:
            self.gps.stop()
            self.gps = None

    def sync_in_background(self, quiet: bool = False) -> None:
        if self.controller.sync and network_available():
            threading.Thread(target=self.controller.sync_now, daemon=True).start()

    def on_pause(self) -> bool:  # Android sends the app to the background
        if self.controller.recorder and self.controller.recorder.patrol_uuid:
            self.controller.recorder.on_event("paused")
        return True

    def on_resume(self) -> None:
        if self.controller.recorder and self.controller.recorder.patrol_uuid:
            self.controller.recorder.on_event("resumed")
