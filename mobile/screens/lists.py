"""The outbox (each item in plain words, what happens next) and the patrol history (each patrol's day, distance,
time and verdict; tapped, its reasons and the supervisor's decision): kv/lists.kv."""
from __future__ import annotations

import threading

from kivy.app import App
from kivy.clock import mainthread
from kivy.factory import Factory
from kivy.uix.screenmanager import Screen

from shared_models.track.verdict import chinese
from shared_models.wire import REVIEW_WORDS

from ..words import duration, flags_text, metres, reason_lines, when
from .widgets import COLOURS, Panel, para

KINDS = {"patrol": "巡河", "photo": "照片", "voice": "语音", "problem": "问题", "case_step": "复核"}


def outbox_line(c, item: dict) -> str:
    """"12月2日 09:30 巡河 2.5 公里 · 已上传": what the item is, and where it stands."""
    what = KINDS[item["kind"]]
    if item["kind"] == "patrol":
        mine = c.phone_verdict(item["ref"])
        if mine.get("distance_m") is not None:
            what += f" {metres(mine['distance_m'])}"
    elif item["kind"] == "voice":
        note = c.store.voice_note(item["ref"])
        if note:
            what += f" {note['seconds']:.0f} 秒"
    elif item["kind"] == "problem":
        problem = c.store.problem(item["ref"])
        names = {code: name for name, code in c.categories().items()}
        if problem:
            what += f"：{names.get(problem['category'], '其他')}"
    state = item["state"]
    if state == "synced":
        where = "已上传"
    elif state == "sending":
        where = "正在上传"
    elif state == "failed" and item["permanent"]:
        where = "服务器没有接收：" + chinese(item["last_error"] or "请联系网格长")
    elif state == "failed":
        where = "等待网络，会自动重试"
    else:
        where = "等待上传"
    if item["kind"] in ("photo", "voice") and state != "synced":
        left = max(0, item["bytes_total"] - item["bytes_sent"])
        where += f"（还剩 {left / 1024:.0f} KB）"
    return f"{when(item['created_at'])} {what} · {where}"


class OutboxScreen(Screen):
    def on_pre_enter(self, *_args) -> None:
        self.refresh()

    def refresh(self, *_args) -> None:
        c = App.get_running_app().controller
        items = list(reversed(c.outbox()))
        self.ids.item_list.text = "\n".join(outbox_line(c, i) for i in items) or "没有要上传的内容"
        waiting = sum(1 for i in items if i["state"] != "synced")
        self.ids.status.text = ("全部已上传" if not waiting else
                                f"还有 {waiting} 项。有信号时会自动上传，不用一直开着这个页面。")

    def sync_now(self) -> None:
        self.ids.status.text = "正在上传…"
        app = App.get_running_app()
        threading.Thread(target=lambda: self.done(app.controller.sync_now()), daemon=True).start()

    @mainthread
    def done(self, report: dict) -> None:
        self.refresh()
        if report.get("sign_in_required"):
            self.ids.status.text = "登录已失效，请重新登录（数据不会丢失）"
        elif report.get("error") or report["failed"]:
            self.ids.status.text = (f"这次上传了 {report['sent']} 项。其余的等有信号时会自动上传。")


def history_line(p: dict) -> tuple[str, str]:
    """The patrol's day, distance and time, and its verdict: the server's, or the phone's until it arrives."""
    v = p["verdict"] or p.get("phone_verdict") or {}
    figures = []
    if v.get("distance_m") is not None:
        figures.append(metres(v["distance_m"]))
    if v.get("duration_s") is not None:
        figures.append(duration(v["duration_s"]))
    if p["state"] == "recording":
        verdict = "正在巡河"
    elif p["verdict"] is None:
        verdict = "待上传" + ("（预计有效）" if v.get("valid") else "（预计不计入）" if v else "")
    else:
        verdict = "有效" if v["valid"] else "不计入"
        if v.get("review_status") in REVIEW_WORDS:
            verdict = REVIEW_WORDS[v["review_status"]]
        elif v.get("flags"):
            verdict += " · 待网格长核实"
    return f"{when(p['started_at'])}  {'  '.join(figures)}", verdict


class HistoryScreen(Screen):
    def on_pre_enter(self, *_args) -> None:
        self.refresh()

    def refresh(self, *_args) -> None:
        box = self.ids.patrol_list
        box.clear_widgets()
        for p in App.get_running_app().controller.history()[:60]:
            head, verdict = history_line(p)
            button = Factory.Button(text=f"{head}\n{verdict}", background_color=COLOURS["card"],
                                    color=COLOURS["text"], halign="left")
            button.bind(on_release=lambda _b, p=p: self.open(p))
            box.add_widget(button)
        if not box.children:
            box.add_widget(para("还没有巡河记录"))

    def open(self, p: dict) -> None:
        """One patrol: why it did not count, what the supervisor will look at or decided, and why."""
        head, verdict = history_line(p)
        v = p["verdict"] or p.get("phone_verdict") or {}
        lines = [f"[b]{head}[/b]", verdict]
        if v and not v.get("valid", True):
            lines += [f"· {r}" for r in reason_lines(v)]
        if v.get("review_status") in REVIEW_WORDS:
            note = v.get("review_note")
            lines.append(f"网格长的决定：{REVIEW_WORDS[v['review_status']]}" + (f"。理由：{note}" if note else ""))
        elif flags_text(v.get("flags") or []):
            lines.append(flags_text(v["flags"]))
        box = self.ids.patrol_list
        box.clear_widgets()
        panel = Panel()
        panel.add_widget(para("\n".join(lines), markup=True))
        box.add_widget(panel)
        self._detail = True

    def on_back(self) -> bool:
        if getattr(self, "_detail", False):
            self._detail = False
            self.refresh()
        else:
            App.get_running_app().goto("home")
        return True
