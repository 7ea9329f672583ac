"""Sign-in, the home screen (the inspector's cards) and a card's details: kv/login.kv, home.kv, card.kv."""
from __future__ import annotations

import datetime as dt
import math
import threading

from kivy.app import App
from kivy.clock import mainthread
from kivy.factory import Factory
from kivy.metrics import dp
from kivy.uix.screenmanager import Screen

from shared_models.clock import utcnow

from ..controller import rule_of
from ..words import error_text, held_as, rule_text, window_text
from .widgets import COLOURS, Confirm, Panel, _rings, para


class LoginScreen(Screen):
    def login(self) -> None:
        phone, password = self.ids.phone.text.strip(), self.ids.password.text
        if len(phone) != 11:
            self.ids.message.text = "请输入 11 位手机号"
            return
        self.ids.message.text = "正在登录…"
        self.ids.login_btn.disabled = True
        app = App.get_running_app()

        def work() -> None:
            try:
                app.controller.login(phone, password)
            except Exception as exc:  # shown to the person in their words; nothing is lost
                self.show("登录没有成功：" + error_text(exc))
                return
            self.done()

        threading.Thread(target=work, daemon=True).start()

    @mainthread
    def show(self, text: str) -> None:
        self.ids.message.text = text
        self.ids.login_btn.disabled = False

    @mainthread
    def done(self) -> None:
        self.ids.message.text = ""
        self.ids.login_btn.disabled = False
        App.get_running_app().goto("home")
        App.get_running_app().remind()


def _gap_hint(next_counted_after: str | None, now: dt.datetime | None = None) -> str:
    """Akqi's 96 hours: how long until a new patrol counts again (from the last sync's figure)."""
    if not next_counted_after:
        return ""
    left = dt.datetime.fromisoformat(next_counted_after) - (now or utcnow())
    hours = math.ceil(left.total_seconds() / 3600)
    return f"距下次巡河可计入还有 {hours} 小时" if hours > 0 else ""


def card_lines(c, card: dict) -> list[str]:
    """What a card says on the home screen: where, the window's count (the server's, as of the last sync, with
    the finished patrols still on the phone), and what one patrol needs under the rule in force."""
    lines = [f"[b]{held_as(card, (c.account or {}).get('user_id'))} · {' / '.join(card['grid_path_names'])}[/b]",
             f"河段：{'、'.join(s['name'] for s in card['segments']) or '本网格水体'}"]
    done = card.get("compliance")
    lines.append(window_text(done) if done else f"本周已巡 {c.week_count(card)} 次")
    waiting = c.unsent_patrols(card)
    if waiting:
        likely = sum(1 for p in waiting if p.get("valid"))
        lines.append(f"另有 {len(waiting)} 次待上传" + ("（预计有效）" if likely == len(waiting) else
                                                  f"（预计 {likely} 次有效）"))
    gap = _gap_hint((done or {}).get("next_counted_after"))
    if gap:
        lines.append(gap)
    lines.append(rule_text(rule_of(card)))
    return lines


class HomeScreen(Screen):
    def on_pre_enter(self, *_args) -> None:
        self.refresh()

    def refresh(self, *_args) -> None:
        app = App.get_running_app()
        c = app.controller
        if not c.account:
            return
        self.ids.title.text = f"{c.account['name']}的责任卡"
        waiting = len(c.tasks())
        self.ids.tasks_btn.text = f"我的任务（{waiting}）" if waiting else "我的任务"
        unread = c.unread()
        self.ids.inbox_btn.text = f"消息（{unread}）" if unread else "消息"
        box = self.ids.cards_box
        box.clear_widgets()
        for card in c.cards():
            panel = Panel()  # 开始巡河 first: one tap after sign-in, whatever the text size
            behalf = held_as(card, c.account["user_id"]).startswith("代")  # a chief's card: walked on their behalf
            start = Factory.Button(text="开始代巡" if behalf else "开始巡河", background_color=COLOURS["go"],
                                   height=dp(72))
            start.bind(on_release=lambda _b, card=card: app.start_patrol(card))
            details = Factory.Button(text="责任卡详情", background_color=COLOURS["neutral"])
            details.bind(on_release=lambda _b, card=card: app.show_card(card))
            panel.add_widget(start)
            panel.add_widget(para("\n".join(card_lines(c, card)), markup=True))
            panel.add_widget(details)
            box.add_widget(panel)
        if not box.children and c.account.get("role") == "department":  # a unit's field staff fix what is assigned
            box.add_widget(para("交办给您单位的问题在“我的任务”里：到现场整改，拍照后点“整改完成”。"))
        elif not box.children:
            box.add_widget(para("还没有您的责任卡。请联系网格长，同步后这里会显示。"))
        pending = c.store.pending_count(c.account["user_id"])
        self.ids.outbox_btn.text = f"待上传（{pending}）" if pending else "待上传"
        self.ids.status.text = "全部已上传" if not pending else f"{pending} 项等待上传，有信号时自动上传"
        # (held here: once taken off the screen, ids keeps only a weak reference, which the collector may clear)
        keep = getattr(self, "_keepalive", None) or self.ids.keepalive_btn.__self__  # (the widget, not a proxy)
        self._keepalive = keep
        if not app.on_phone and keep.parent:  # the maker's battery settings exist on a phone only
            keep.parent.remove_widget(keep)

    def logout(self) -> None:
        app = App.get_running_app()
        c = app.controller
        pending = c.store.pending_count(c.account["user_id"])
        detail = (f"还有 {pending} 项没有上传。退出后它们留在手机上，您再次登录后会继续上传。" if pending
                  else "退出后需要联网才能再次登录。")

        def then(yes: bool) -> None:
            if yes:
                c.logout()
                app.goto("login")

        Confirm("确定退出登录吗？", detail, "退出登录", "不退出", then).open()


class CardScreen(Screen):
    def show(self, card: dict) -> None:
        self.ids.title.text = card["grid"]["name"] + " 责任卡"
        self.ids.map.rings = _rings(card["grid"].get("boundary"))
        self.ids.map.segments = [s["geometry"]["coordinates"] for s in card["segments"]]
        self.ids.map.tiles = App.get_running_app().controller.basemap()
        sup = card.get("supervisor") or {}
        duties = "\n".join(f"· {d}" for d in card["duties"])
        done = card.get("compliance")
        frequency = window_text(done) if done else card["frequency_summary"]
        self.ids.details.text = (f"编号 {card['card_no']}（第 {card['version']} 版，{card['valid_from']} 起）\n"
                                 f"巡河要求：{frequency}\n{rule_text(rule_of(card))}\n职责：\n{duties}\n"
                                 f"网格长：{sup.get('name', '—')} {sup.get('phone', '')}")
