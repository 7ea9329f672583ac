"""The status strip over every screen while a patrol is recorded: the GPS and its accuracy, the network and what
waits to be sent, recording or paused (a full-width banner when paused), and, after a restart, that the patrol
was picked up again and how long it was interrupted."""
from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import ColorProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from shared_models.clock import timestamp

from ..platform.network import network_available
from .widgets import COLOURS

RESUMED_SHOWN_S = 120.0
NOTICE_SHOWN_S = 8.0


def gps_words(fix: dict | None, age_s: float | None) -> str:
    if fix is None or age_s is None:
        return "正在定位…请到开阔处"
    if age_s > 15:
        ago = f"{age_s / 60:.0f} 分钟" if age_s >= 90 else f"{age_s:.0f} 秒"
        return f"没有定位信号（{ago}前有过）"
    accuracy = fix.get("accuracy")
    if accuracy is None or accuracy != accuracy:
        return "定位正常"
    return f"定位正常（误差约 {accuracy:.0f} 米）" if accuracy <= 30 else f"定位较差（误差约 {accuracy:.0f} 米）"


class StatusStrip(BoxLayout):
    line = StringProperty("")
    banner = StringProperty("")
    bg_color = ColorProperty(COLOURS["strip"])
    banner_color = ColorProperty(COLOURS["warn"])

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.resumed_text, self.resumed_until = "", 0.0
        self.notice_text, self.notice_until = "", 0.0
        Clock.schedule_interval(self.refresh, 1.0)

    def notice(self, text: str) -> None:
        """A sentence over whatever screen is on show, for a few seconds (e.g. 已保存，有信号时自动上传)."""
        self.notice_text, self.notice_until = text, timestamp() + NOTICE_SHOWN_S
        self.refresh()

    def resumed(self, interrupted_s: float) -> None:
        minutes = max(1, round(interrupted_s / 60))
        self.resumed_text = f"已恢复上次巡河（中断 {minutes} 分钟）"
        self.resumed_until = timestamp() + RESUMED_SHOWN_S
        self.refresh()

    def refresh(self, *_args) -> None:
        app = App.get_running_app()
        c = app.controller if app else None
        rec = c.recorder if c else None
        noticed = self.notice_text if timestamp() < self.notice_until else ""
        if not rec or not rec.patrol_uuid:
            self.line = ""
            self.banner, self.banner_color = noticed, COLOURS["go"]
            return
        fix = c.position_now(max_age_s=24 * 3600)
        age = None if fix is None else c.fix_age(fix)
        pending = c.store.pending_count(c.account["user_id"])
        online = network_available() and c.reachable is not False
        net = ("有网络" if online else "没有网络") + (f" · {pending} 项待上传" if pending else "")
        self.line = f"{'已暂停' if rec.paused else '正在记录'} · {gps_words(fix, age)} · {net}"
        if noticed:
            self.banner, self.banner_color = noticed, COLOURS["go"]
        elif rec.paused:
            self.banner, self.banner_color = "已暂停记录。接着巡河请点「继续」", COLOURS["warn"]
        elif self.resumed_text and timestamp() < self.resumed_until:
            self.banner, self.banner_color = self.resumed_text, COLOURS["go"]
        else:
            self.banner = ""
