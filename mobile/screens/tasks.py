"""Re-check tasks (复核) and the on-site re-check: kv/tasks.kv."""
from __future__ import annotations

import json

from kivy.app import App
from kivy.clock import Clock
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen

from shared_models.track.geometry import distance_m

from .widgets import _wrapping


class TasksScreen(Screen):
    """Re-checks (复核) the server gave this inspector, kept for offline; steps already taken listed below."""

    def on_pre_enter(self, *_args) -> None:
        c = App.get_running_app().controller
        box = self.ids.tasks_box
        box.clear_widgets()
        for task in c.tasks():
            deadline = f" · 期限 {task['deadline'][5:]}" if task.get("deadline") else ""
            text = (f"[b]{task['category_label']}[/b] {task['case_no']}{deadline}\n{task['description']}\n"
                    f"整改说明：{task.get('rectify_note') or '—'}")
            row = BoxLayout(orientation="vertical", size_hint_y=None, height=200, spacing=4)
            row.add_widget(_wrapping(Label(text=text, markup=True, halign="left")))
            go = Button(text="去现场复核", size_hint_y=None, height=56)
            go.bind(on_release=lambda _b, t=task: App.get_running_app().open_recheck(t))
            row.add_widget(go)
            box.add_widget(row)
        if not box.children:
            box.add_widget(Label(text="没有待复核的任务", size_hint_y=None, height=60))
        lines = []
        for step in c.store.case_steps(c.account["user_id"])[:10]:
            result = json.loads(step["result"]) if step["result"] else None
            verdict = "待上传" if result is None else (
                f"已生效：{result['status_label']}" if result["applied"] else "已被他人处理，待网格长审阅")
            action = "复核通过" if step["action"] == "recheck_pass" else "复核不通过"
            lines.append(f"{step['case_no']} {action} · {verdict}")
        self.ids.done.text = "\n".join(lines)


class RecheckScreen(Screen):
    """On site: the before-photo beside the new one, the phone's position, pass or fail."""

    def show(self, task: dict) -> None:
        self.task, self.photos = task, []
        c = App.get_running_app().controller
        self.ids.title.text = f"现场复核 {task['case_no']}"
        self.ids.info.text = (f"{task['category_label']}：{task['description']}\n"
                              f"整改说明：{task.get('rectify_note') or '—'}")
        before = next((c.task_photo(u) for u in task.get("before_photo_uuids", []) if c.task_photo(u)), None)
        after = next((c.task_photo(u) for u in task.get("after_photo_uuids", []) if c.task_photo(u)), None)
        self.ids.before.source = before or ""
        self.ids.now.source = after or ""  # the assignee's after-photo until one is taken here
        self.ids.note.text = self.ids.message.text = ""
        self._tick = Clock.schedule_interval(self.where, 1.0)
        self.where()

    def where(self, *_args) -> None:
        fix = App.get_running_app().controller.last_fix
        if not fix:
            self.ids.position.text = "正在定位…"
            return
        distance = distance_m(self.task["lon"], self.task["lat"], fix["lon"], fix["lat"])
        self.ids.position.text = f"距问题位置 {distance:.0f} 米" + ("" if distance <= 200 else "（请到现场）")

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
            app.controller.recheck(self.task, passed, self.ids.note.text, self.photos)
        except ValueError as exc:
            self.ids.message.text = str(exc)
            return
        app.sync_in_background()
        self.leave()

    def leave(self) -> None:
        self._tick.cancel()
        App.get_running_app().close_recheck()
