"""My month so far, as the county's assessment computes it (GET /api/v1/me/assessments/{period}, kept from the
last sync for offline): each window counted against required, the score with its reasons, the pay: kv/month.kv."""
from __future__ import annotations

import datetime as dt
import threading

from kivy.app import App
from kivy.clock import mainthread
from kivy.uix.screenmanager import Screen

from shared_models.clock import local_today

from ..words import short_day, when


def window_line(w: dict, today: dt.date) -> str:
    start, end = dt.date.fromisoformat(w["start"]), dt.date.fromisoformat(w["end"])
    span = f"{short_day(w['start'])}—{short_day(w['end'])}"
    if not w.get("active", True):
        return f"{span}：无巡河要求"
    if start > today:
        state = "还没开始"
    elif w["met"]:
        state = "已完成"
    elif end >= today:
        state = "进行中"
    else:
        state = "未完成"
    return f"{span}：已巡 {w['counted']}/{w['required']} 次（{state}）"


def month_lines(kept: dict | None, today: dt.date) -> tuple[str, str, str, str]:
    """(heading, windows, score, pay) in plain words."""
    if not kept:
        return "还没有本月的考核数据。有网络时点「刷新」。", "", "", ""
    body, (year, month) = kept["body"], kept["period"].split("-")
    heading = f"{year}年{int(month)}月" + ("：本月考核已锁定" if body.get("status") == "locked"
                                          else "：按目前的记录计算，月底前还会变化")
    lines = body.get("lines") or []
    if not lines:
        return heading + "\n本月还没有您的考核记录", "", "", ""
    mine = lines[0]
    windows = "\n".join(window_line(w, today) for w in mine.get("windows", []))
    items = "\n".join(f"· {i['why']}：{i['points']:+.0f} 分" if i.get("metric") else f"· {i['why']}"
                      for i in mine.get("items", []))
    score = f"[b]得分 {mine['score']:.0f} 分 · {mine.get('tier_label') or ''}[/b]\n{items}"
    pays = "\n".join(f"· {p['label']}：{p['why']}" for p in mine.get("pay_lines", []))
    pay = f"[b]补贴 {mine['amount_fen'] / 100:.0f} 元[/b]\n{pays}" if mine.get("amount_fen") is not None else ""
    return heading, windows, score, pay


class MonthScreen(Screen):
    def on_pre_enter(self, *_args) -> None:
        self.refresh()

    def refresh(self, *_args) -> None:
        kept = App.get_running_app().controller.month()
        heading, windows, score, pay = month_lines(kept, local_today())
        self.ids.heading.text, self.ids.windows.text, self.ids.score.text, self.ids.pay.text = (
            heading, windows, score, pay)
        self.ids.fetched.text = f"更新于 {when(kept['fetched_at'])}" if kept else ""

    def update(self) -> None:
        self.ids.fetched.text = "正在更新…"
        app = App.get_running_app()
        threading.Thread(target=lambda: self.updated(app.controller.refresh_month()), daemon=True).start()

    @mainthread
    def updated(self, _kept) -> None:
        self.refresh()
