"""Re-check tasks (复核) and the on-site re-check: kv/tasks.kv."""
from __future__ import annotations

import datetime as dt
import json

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.uix.screenmanager import Screen

from shared_models.track.geometry import distance_m

from ..controller import FIX_MAX_AGE_S, RECHECK_RADIUS_M
from ..words import short_day, when
from .widgets import COLOURS, Panel, para


class TasksScreen(Screen):
    """Re-checks (复核) the server gave this inspector, kept for offline; steps already taken listed below."""

    def on_pre_enter(self, *_args) -> None:
        self.refresh()

    def refresh(self, *_args) -> None:
        c = App.get_running_app().controller
        box = self.ids.tasks_box
        box.clear_widgets()
        for task in c.tasks():
            deadline = f"，{short_day(task['deadline'])}前完成" if task.get("deadline") else ""
            fixing = task.get("kind") == "rectify"
            text = (f"[b]{'整改' if fixing else '复核'}：{task['category_label']}[/b]{deadline}\n{task['description']}"
                    + ("" if fixing else f"\n整改说明：{task.get('rectify_note') or '没有填写'}"))
            row = Panel()
            row.add_widget(para(text, markup=True))
            if task.get("refused") is not None:
                row.add_widget(para("上次复核没有被接受：" + (task["refused"] or "请到现场再复核一次"),
                                    color=COLOURS["error"]))
            go = Factory.Button(text="去整改" if fixing else "去现场复核")
            go.bind(on_release=lambda _b, t=task: App.get_running_app().open_recheck(t))
            row.add_widget(go)
            box.add_widget(row)
        if not box.children:
            box.add_widget(para("现在没有要您做的任务"))
        mine = []
        for p in c.my_problems()[:20]:
            at = p["reported_at"]
            day = when(at if isinstance(at, float | int) else dt.datetime.fromisoformat(at).timestamp())  # local day
            due = f"，{short_day(p['deadline'])}前整改" if p.get("deadline") and p["status_label"] != "已销号" else ""
            mine.append(f"{day} {p['category_label']} · {p['status_label']}{due}")
        self.ids.mine.text = "\n".join(mine) or "还没有上报过问题"
        lines = []
        for step in c.store.case_steps(c.account["user_id"])[:10]:
            result = json.loads(step["result"]) if step["result"] else None
            verdict = "待上传" if result is None else (
                f"已生效：{result['status_label']}" if result["applied"] else "已被他人处理，待网格长审阅")
            action = STEP_WORDS.get(step["action"], "处理")
            lines.append(f"{when(step['at'])} {action} · {verdict}")
        self.ids.done.text = "\n".join(lines)


STEP_WORDS = {"recheck_pass": "复核通过", "recheck_fail": "复核不通过", "rectify": "整改完成"}


class RecheckScreen(Screen):
    """On site: the before-photo beside the new one, the phone's position; a re-check passes or fails, a
    rectification (整改, when I am the case's responsible person) is done with its after-photos."""

    def show(self, task: dict) -> None:
        self.task, self.photos = task, []
        self.fixing = task.get("kind") == "rectify"
        c = App.get_running_app().controller
        if self.fixing:
            self.ids.title.text = f"整改：{task['category_label']}"
            self.ids.info.text = f"{task['description']}\n整改完成后拍下现场照片，写明怎么整改的。"
            self.ids.note.hint_text = "整改说明（例如：已清运垃圾）"
            self.ids.pass_btn.text = "整改完成"
        else:
            self.ids.title.text = f"现场复核：{task['category_label']}"
            self.ids.info.text = (f"{task['description']}\n整改说明：{task.get('rectify_note') or '没有填写'}")
            self.ids.note.hint_text = "复核意见（不通过须写明原因）"
            self.ids.pass_btn.text = "复核通过"
        self.ids.fail_btn.opacity, self.ids.fail_btn.disabled = (0, True) if self.fixing else (1, False)
        before = next((c.task_photo(u) for u in task.get("before_photo_uuids", []) if c.task_photo(u)), None)
        after = next((c.task_photo(u) for u in task.get("after_photo_uuids", []) if c.task_photo(u)), None)
        self.ids.before.source = before or ""
        self.ids.now.source = after or ""  # the assignee's after-photo until one is taken here
        self.ids.note.text = self.ids.message.text = ""
        self._tick = Clock.schedule_interval(self.where, 1.0)
        self.where()

    def where(self, *_args) -> None:
        fix = App.get_running_app().controller.position_now(FIX_MAX_AGE_S)
        if not fix:
            self.ids.position.text = "正在定位…请到开阔处稍等"
            return
        radius = self.task.get("recheck_radius_m") or RECHECK_RADIUS_M
        distance = distance_m(self.task["lon"], self.task["lat"], fix["lon"], fix["lat"])
        if self.fixing:
            self.ids.position.text = f"离问题位置 {distance:.0f} 米"
            return
        self.ids.position.text = f"离问题位置 {distance:.0f} 米" + (
            "，可以复核" if distance <= radius else f"。须走到 {radius:.0f} 米以内才能复核")

    def choose_photo(self) -> None:
        """The camera on a phone (after its permissions); a file chooser on the desktop."""
        App.get_running_app().take_photo(self.add_photo, back="recheck")

    def add_photo(self, path: str, origin: str = "camera") -> None:
        photo = App.get_running_app().controller.prepare_photo(path, origin)
        self.photos.append(photo)
        self.ids.now.source = photo["path"]

    def submit(self, passed: bool) -> None:
        app = App.get_running_app()
        try:
            if self.fixing:
                app.controller.rectify(self.task, self.ids.note.text, self.photos)
            else:
                app.controller.recheck(self.task, passed, self.ids.note.text, self.photos)
        except ValueError as exc:
            self.ids.message.text = str(exc)
            return
        app.sync_in_background()
        self.leave()

    def leave(self) -> None:
        self._tick.cancel()
        App.get_running_app().close_recheck()

    def on_back(self) -> bool:
        self.leave()
        return True
