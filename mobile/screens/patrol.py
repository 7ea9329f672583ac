"""A patrol being recorded (the rule's three bars, what is still missing, the map) and its end (the verdict, the
duties, each answered 已查 or 有问题): kv/patrol.kv."""
from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from shared_models.track.verdict import ValidityRule

from ..controller import rule_of
from ..map_parts import walked_parts
from ..words import flags_text, goals, held_as, metres, still_needed
from .widgets import Confirm, _rings


def _fmt_duration(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m // 60:d}:{m % 60:02d}:{s:02d}"


class GoalRow(BoxLayout):
    """One of the rule's minimums: its name, how far the patrol is, and a bar."""

    name = StringProperty("")
    text = StringProperty("")
    fraction = NumericProperty(0.0)


class DutyRow(BoxLayout):
    """A duty of the card, answered 已查 or 有问题 (neither chosen at first)."""

    duty = StringProperty("")


class PatrolScreen(Screen):
    card: dict | None = None

    def begin(self, card: dict | None) -> None:
        self.card = card
        mine = (App.get_running_app().controller.account or {}).get("user_id")
        behalf = held_as(card, mine) if card else ""
        self._where = (f"{behalf} · {card['grid']['name']}" if behalf.startswith("代") else
                       f"巡河中 · {card['grid']['name']}") if card else "巡河中"
        self.ids.title.text = self._where
        self.ids.map.rings = _rings(card["grid"].get("boundary")) if card else []
        self.ids.map.segments = [s["geometry"]["coordinates"] for s in card["segments"]] if card else []
        self._rule = rule_of(card) if card else ValidityRule()
        self.ids.goals.clear_widgets()
        self._rows, self._walked_at = {}, -1
        self._tick = Clock.schedule_interval(self.refresh, 2.0)
        self.refresh()

    def reopen(self) -> None:
        """Back to the patrol (from its end screen): it was recording all along."""
        self._tick.cancel()
        self._tick = Clock.schedule_interval(self.refresh, 2.0)
        self.refresh()
        App.get_running_app().goto("patrol")

    def refresh(self, *_args) -> None:
        c = App.get_running_app().controller
        if not c.recorder or not c.recorder.patrol_uuid:
            return
        result = c.preview()
        track = c.store.track(c.recorder.patrol_uuid)
        self.ids.map.track = list(zip(track.lon.tolist(), track.lat.tolist(), strict=True))[-2000:]
        if self.ids.map.segments and len(track) != self._walked_at:  # only when new fixes came
            self._walked_at = len(track)
            walked, unwalked = walked_parts(self.ids.map.segments, track.lon, track.lat, self._rule.tolerance_m)
            self.ids.map.walked, self.ids.map.unwalked = walked, unwalked
        self.ids.map.position = [float(track.lon[-1]), float(track.lat[-1])] if len(track) else []
        if self.ids.map.tiles is None:  # the county's basemap, once it is on the phone
            self.ids.map.tiles = c.basemap()
        self.ids.title.text = f"{self._where}  {_fmt_duration(result.duration_s)}"
        for goal in goals(result, self._rule):
            row = self._rows.get(goal.name)
            if row is None:
                row = self._rows[goal.name] = GoalRow(name=goal.name)
                self.ids.goals.add_widget(row)
            row.text, row.fraction = goal.text, goal.fraction
        self.ids.hint.text = still_needed(result, self._rule)
        self.ids.pause_btn.text = "继续" if c.recorder.paused else "暂停"

    def toggle_pause(self) -> None:
        rec = App.get_running_app().controller.recorder
        if rec.paused:
            rec.resume()
        else:
            rec.pause()
        self.refresh()

    def end(self) -> None:
        """Asks first: one slip of a gloved finger must not end a patrol."""
        c = App.get_running_app().controller
        result = c.preview()
        detail = ("现在结束，本次巡河计为有效。" if result.valid else
                  f"现在结束，本次巡河不计入：{still_needed(result, self._rule)}。")

        def then(yes: bool) -> None:
            if yes:
                self._tick.cancel()
                App.get_running_app().finish_patrol(self.card)

        Confirm("结束本次巡河吗？", detail, "结束巡河", "继续巡河", then).open()

    def on_back(self) -> bool:
        """The back key on a patrol: it goes on recording, and says so."""
        App.get_running_app().notice("巡河仍在记录。要结束，请点「结束巡河」")
        return True


class FinishScreen(Screen):
    def prepare(self, card: dict | None, result) -> None:
        rule = rule_of(card) if card else ValidityRule()
        head = "[b]本次巡河计为有效[/b]" if result.valid else "[b]本次巡河不计入[/b]\n" + "\n".join(
            f"· {r.zh}" for r in result.reasons)
        flags = flags_text(result.flags)
        self.ids.verdict.text = (head + f"\n时长 {_fmt_duration(result.duration_s)}，距离 {metres(result.distance_m)}"
                                 + (f"\n{flags}" if flags else "") + ("" if result.valid else
                                                                     f"\n{still_needed(result, rule)}"))
        self.rows = {}
        self.ids.checklist.clear_widgets()
        for duty in (card or {}).get("duties", []):
            row = DutyRow(duty=duty)
            row.ids.problem.bind(on_release=lambda _b, d=duty: self.report(d))
            self.rows[duty] = row
            self.ids.checklist.add_widget(row)
        self.ids.notes.text = ""

    def report(self, duty: str) -> None:
        """有问题 opens a report for that duty; the inspector comes back here."""
        if self.rows[duty].ids.problem.state == "down":
            App.get_running_app().report_problem(about=duty, back="finish")

    def checklist(self) -> dict:
        def answer(row) -> str:
            return "已查" if row.ids.ok.state == "down" else ("有问题" if row.ids.problem.state == "down" else "未查")

        return {duty: answer(row) for duty, row in self.rows.items()}

    def submit(self) -> None:
        app = App.get_running_app()
        app.controller.finish_patrol(self.checklist(), self.ids.notes.text)
        app.stop_gps()
        app.sync_in_background()
        app.goto("home")

    def on_back(self) -> bool:
        """Back from the end: the patrol is still being recorded; carry on with it."""
        App.get_running_app().sm.get_screen("patrol").reopen()
        return True
