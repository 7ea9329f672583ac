"""A patrol being recorded and its end (the verdict, the duties checklist): kv/patrol.kv."""
from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.checkbox import CheckBox
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen

from shared_models.clock import timestamp

from .widgets import _rings, _wrapping


def _fmt_duration(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m // 60:d}:{m % 60:02d}:{s:02d}"


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
