"""Sign-in, the home screen (the inspector's cards) and a card's details: kv/login.kv, home.kv, card.kv."""
from __future__ import annotations

import datetime as dt
import math
import threading

from kivy.app import App
from kivy.clock import mainthread
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen

from shared_models.clock import utcnow

from .widgets import _rings, _wrapping


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
