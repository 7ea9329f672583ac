"""Reporting a problem, photo first and icon first: 上报问题 -> 拍照 -> a category's picture -> 提交 (kv/problem.kv).

The form starts empty every time; the position is a fix of the last minute (off patrol the GPS is started for the
report), shown with its age and accuracy; after saving, the strip says it is kept and goes up by itself."""
from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import ColorProperty, StringProperty
from kivy.uix.behaviors import ToggleButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from shared_models.clock import timestamp
from shared_models.enums import SEVERITIES

from ..controller import FIX_MAX_AGE_S
from ..permissions import BEFORE_VOICE
from ..platform.voice import MAX_SECONDS
from .widgets import COLOURS

ICONS = Path(__file__).resolve().parent.parent / "icons"
FIRST = ("luan_zhan", "luan_cai", "luan_dui", "luan_jian")  # 清四乱 first, as the river-chief system lists them


class CategoryTile(ToggleButtonBehavior, BoxLayout):
    """A category as its picture with a short name under it; the whole tile is the target."""

    text = StringProperty("")
    icon = StringProperty("")
    code = StringProperty("")
    bg_color = ColorProperty(COLOURS["card"])


def icon_of(code: str) -> str:
    path = ICONS / f"{code}.png"
    return str(path if path.exists() else ICONS / "other.png")


class ProblemScreen(Screen):
    about = ""  # the duty the inspector found a problem with (from the end of a patrol), else ""
    back = None  # where 返回 and 提交 go: the screen it was opened from

    def start(self, about: str = "", back: str | None = None) -> None:
        """A new, empty report."""
        app = App.get_running_app()
        self.about, self.back, self.photos, self.voice = about, back, [], None
        self.ids.photos.text = "先拍照：点上面的「拍照」"
        self.show_voice()
        self.ids.message.text = ""
        self.ids.description.text = about and f"巡查「{about}」时发现的问题"
        grid = self.ids.categories
        grid.clear_widgets()
        self._group = f"category-{timestamp()}"  # this report's tiles only
        named = app.controller.categories()
        codes = sorted(named.items(), key=lambda kv: (kv[1] not in FIRST, FIRST.index(kv[1]) if kv[1] in FIRST
                                                    else 0))
        for name, code in codes:
            grid.add_widget(CategoryTile(text=name, code=code, icon=icon_of(code), group=self._group))
        row = self.ids.severities
        row.clear_widgets()
        for code, (zh, _en) in SEVERITIES.items():
            row.add_widget(Factory.ToggleButton(text=zh, group=self._group + "-severity", allow_no_selection=False,
                                                state="down" if code == "general" else "normal"))
        self.ids.scroll.scroll_y = 1
        self._tick = Clock.schedule_interval(self.where, 1.0)
        self.where()

    def where(self, *_args) -> None:
        c = App.get_running_app().controller
        if c.voice_seconds() is not None:
            self.show_voice()
        fix = c.position_now(FIX_MAX_AGE_S)
        if not fix:
            self.ids.position.text = "正在定位…请到开阔处稍等"
            return
        age = c.fix_age(fix)
        accuracy = fix.get("accuracy")
        spread = f"误差约 {accuracy:.0f} 米，" if accuracy is not None and accuracy == accuracy else ""
        self.ids.position.text = f"已定位（{spread}{age:.0f} 秒前）"

    def choose_photo(self) -> None:
        """The camera on a phone (after its permissions); a file chooser on the desktop."""
        App.get_running_app().take_photo(self.add_photo, back="problem")

    def add_photo(self, path: str, origin: str = "camera") -> None:
        self.photos.append(App.get_running_app().controller.prepare_photo(path, origin))
        self.ids.photos.text = f"已拍{len(self.photos)}张。可以再拍"
        self.ids.photo_btn.text = "再拍一张"

    def toggle_voice(self) -> None:
        """录一段话 instead of typing: the first tap records (after the microphone's permission on a phone), the
        next one stops; recording again replaces the note."""
        app = App.get_running_app()
        c = app.controller
        if c.voice_seconds() is not None:
            self.stop_voice()
            return

        def go() -> None:
            try:
                c.start_voice()
            except Exception:  # noqa: BLE001  (the microphone busy with a call, or refused by the phone)
                self.ids.voice_info.text = "麦克风正被占用（比如在通话），请稍后再录，或打字说明"
                return
            self.show_voice()

        app.with_permissions(BEFORE_VOICE, go, back="problem")

    def stop_voice(self) -> None:
        note = App.get_running_app().controller.stop_voice()
        if note:
            self.voice = note
        elif self.voice is None:
            self.ids.voice_info.text = "没有录上声音，请再点一次，说完再点停止"
            self.ids.voice_btn.text = "录一段话（代替打字）"
            return
        self.show_voice()

    def show_voice(self) -> None:
        running = App.get_running_app().controller.voice_seconds()
        btn, info = self.ids.voice_btn, self.ids.voice_info
        if running is not None:
            if running >= MAX_SECONDS:
                self.stop_voice()
                return
            btn.text, btn.background_color = f"正在录音 {running:.0f} 秒 · 点这里停止", COLOURS["stop"]
            info.text = f"对着手机说出问题，最长 {MAX_SECONDS} 秒"
            return
        btn.background_color = COLOURS["primary"]
        if self.voice:
            btn.text, info.text = "重录", f"已录语音 {self.voice['seconds']:.0f} 秒，提交时一起上传"
        else:
            btn.text, info.text = "录一段话（代替打字）", ""

    def chosen(self, group: str):
        return next((w for w in ToggleButtonBehavior.get_widgets(group) if w.state == "down"), None)

    def submit(self) -> None:
        app = App.get_running_app()
        tile = self.chosen(self._group)
        if tile is None:
            self.ids.message.text = "请点选一个问题类别"
            return
        chosen = self.chosen(self._group + "-severity")
        severity = {v[0]: k for k, v in SEVERITIES.items()}[chosen.text if chosen else "一般"]
        if app.controller.voice_seconds() is not None:
            self.stop_voice()  # 提交 while recording: what was said so far goes with it
        try:
            app.controller.report_problem(tile.code, severity, self.ids.description.text, self.photos, self.voice)
        except ValueError as exc:  # the controller's own Chinese sentence (no position yet)
            self.ids.message.text = str(exc)
            return
        app.notice("已保存，有信号时自动上传")
        app.sync_in_background()
        self.leave()

    def leave(self) -> None:
        self._tick.cancel()
        App.get_running_app().controller.stop_voice()  # 返回 while recording: the recording is dropped
        App.get_running_app().close_problem(self.back)

    def on_back(self) -> bool:
        self.leave()
        return True
