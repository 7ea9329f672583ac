"""The outbox (what waits to be sent) and the patrol history: kv/lists.kv."""
from __future__ import annotations

import datetime as dt
import threading

from kivy.app import App
from kivy.clock import mainthread
from kivy.uix.screenmanager import Screen

from shared_models.clock import LOCAL_TZ

STATES = {"finalized": "待发送", "sending": "发送中", "synced": "已上传", "failed": "失败"}
KINDS = {"patrol": "巡河", "photo": "照片", "problem": "问题", "case_step": "复核"}


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
