"""My messages (我的消息): what the server told me (a case assigned to my unit, a deadline tomorrow, a 督办, a patrol
rejected), newest first, kept for offline; opening the screen reads them (the server hears at the next sync):
kv/inbox.kv."""
from __future__ import annotations

import datetime as dt
import re

from kivy.app import App
from kivy.uix.screenmanager import Screen

from shared_models.clock import LOCAL_TZ

from .widgets import Panel, para


def _plain(text: str, code: str | None) -> str:
    """Without the case's number (a code the inspector does not read; the task list names the problem)."""
    if code:
        text = text.replace(f"（{code}）", "").replace(code, "")
    return re.sub(r"\s{2,}", " ", text).strip()


def message_text(item: dict) -> str:
    """"[b]● 问题已交办给您单位  12月2日 09:30[/b]\n请在 12月10日 前整改…": unread in bold, with its day and time."""
    at = dt.datetime.fromisoformat(item["created_at"]).astimezone(LOCAL_TZ)
    code = item.get("target_id") if item.get("target_type") == "case" else None
    head = f"{_plain(item['title'], code)}  {at.month}月{at.day}日 {at:%H:%M}"
    return (f"[b]● {head}[/b]" if not item.get("read") else head) + f"\n{_plain(item['body'], code)}"


class InboxScreen(Screen):
    def on_pre_enter(self, *_args) -> None:
        self.refresh()

    def refresh(self, *_args) -> None:
        c = App.get_running_app().controller
        box = self.ids.message_list
        box.clear_widgets()
        items = c.inbox()
        for item in items:
            panel = Panel()
            panel.add_widget(para(message_text(item), markup=True))
            box.add_widget(panel)
        if not items:
            box.add_widget(para("还没有消息。交办、督办、审核结果等会在这里告诉您。"))
        self.ids.status.text = "" if c.inbox_synced() else "联网同步后会显示最新消息"
        c.read_inbox()  # seen now: the next sync tells the server

    def on_back(self) -> bool:
        App.get_running_app().goto("home")
        return True
