"""Reporting a problem found on patrol, with photos: kv/problem.kv."""
from __future__ import annotations

from kivy.app import App
from kivy.properties import ListProperty
from kivy.uix.screenmanager import Screen

from shared_models.enums import PROBLEM_CATEGORIES, SEVERITIES


class ProblemScreen(Screen):
    category_names = ListProperty([v[0] for v in PROBLEM_CATEGORIES.values()])
    severity_names = ListProperty([v[0] for v in SEVERITIES.values()])

    def on_pre_enter(self, *_args) -> None:
        self.category_names = list(App.get_running_app().controller.categories())
        self.photos = []
        self.ids.photos.text = "尚未添加照片"
        self.ids.message.text = ""
        self.ids.description.text = ""

    def choose_photo(self) -> None:
        """The camera on a phone (after its permissions); a file chooser on the desktop."""
        App.get_running_app().take_photo(self.add_photo, back="problem")

    def add_photo(self, path: str, origin: str = "camera") -> None:
        self.photos.append(App.get_running_app().controller.prepare_photo(path, origin))
        self.ids.photos.text = f"已添加 {len(self.photos)} 张照片（已压缩）"

    def submit(self) -> None:
        app = App.get_running_app()
        code = app.controller.categories()[self.ids.category.text]
        severity = {v[0]: k for k, v in SEVERITIES.items()}[self.ids.severity.text]
        try:
            app.controller.report_problem(code, severity, self.ids.description.text, self.photos)
        except ValueError as exc:
            self.ids.message.text = str(exc)
            return
        app.sync_in_background()
        self.leave()

    def leave(self) -> None:
        app = App.get_running_app()
        rec = app.controller.recorder
        app.goto("patrol" if rec and rec.patrol_uuid else "home")
