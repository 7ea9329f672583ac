"""The Kivy app: the screens (screens/) wired to the Controller, the GPS and background sync.

Layout lives in kv/*.kv, one file per area.
"""
from __future__ import annotations

import threading
from pathlib import Path

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import NoTransition, ScreenManager

from shared_models.clock import timestamp

from .controller import Controller
from .permissions import BEFORE_PATROL, BEFORE_PHOTO, LOCATION, Permissions
from .platform import gps_service, on_android
from .platform.network import network_available
from .screens import (
    CardScreen,
    FinishScreen,
    HistoryScreen,
    HomeScreen,
    InboxScreen,
    KeepAliveScreen,
    LoginScreen,
    MonthScreen,
    OutboxScreen,
    PatrolScreen,
    PermissionScreen,
    ProblemScreen,
    RecheckScreen,
    TasksScreen,
)
from .screens.home import _gap_hint  # noqa: F401  (imported from here by tests)
from .screens.strip import StatusStrip

BACK_KEY = 27  # Android's back key reaches Kivy as Escape
BACK_TO = {"card": "home", "outbox": "home", "history": "home", "tasks": "home", "inbox": "home", "permission": "home",
           "keepalive": "home", "month": "home"}

KV = Path(__file__).parent / "kv"


class RiverPatrolApp(App):
    title = "河巡"

    def __init__(self, controller: Controller, gpx: str | None = None, speed: float = 1.0, **kw) -> None:
        super().__init__(**kw)
        self.controller = controller
        self.gpx = gpx
        self.speed = speed
        self.gps = None

    on_phone = BooleanProperty(False)  # the home screen's way to 保持巡河不被中断 exists on a phone only

    def build(self):
        self.on_phone = on_android()
        for name in ("common", "login", "home", "card", "patrol", "problem", "lists", "tasks", "permission", "month",
                     "inbox"):
            Builder.load_file(str(KV / f"{name}.kv"))
        self.sm = ScreenManager(transition=NoTransition())
        for cls in (LoginScreen, HomeScreen, CardScreen, PatrolScreen, FinishScreen, ProblemScreen, OutboxScreen,
                    HistoryScreen, TasksScreen, RecheckScreen, PermissionScreen, KeepAliveScreen, MonthScreen,
                    InboxScreen):
            self.sm.add_widget(cls())
        self.strip = StatusStrip()
        root = BoxLayout(orientation="vertical")
        root.add_widget(self.strip)
        root.add_widget(self.sm)
        Window.bind(on_keyboard=self._on_key)
        self.controller.sync_listeners.append(self._synced)
        Clock.schedule_once(self._first_screen, 0)
        Clock.schedule_interval(lambda _dt: self.sync_in_background(quiet=True), 60)
        Clock.schedule_interval(self.remind, 3600)
        return root

    def remind(self, *_args) -> None:
        """A window about to close unmet: on a phone, scheduled with the phone's WorkManager so it comes at its time
        with the app closed (at start, after every sync, hourly); on the desktop a notification once a day while
        the app runs."""
        from .platform.notify import notify

        if not self.controller.account:
            return
        if on_android():
            from .platform import reminders

            self.controller.schedule_reminders(reminders)
            return
        for text in self.controller.reminders():
            notify("巡河提醒", text)

    def _first_screen(self, _dt) -> None:
        if not self.controller.account or not self.controller.recorder:
            self.goto("login")
            return
        recording = self.controller.store.recording(self.controller.account["user_id"])
        last = self.controller.store.last_fix(recording["uuid"]) if recording else None
        self.remind()
        resumed = self.controller.resume_patrol()
        if resumed:  # the app was killed mid-patrol: carry on, and say so
            self._open_patrol(self.controller.card_of_patrol(resumed))
            self.strip.resumed(timestamp() - (last["t"] if last else recording["started_at"]))
        else:
            self.goto("home")

    def _on_key(self, _window, key, *_args) -> bool:
        """The back key goes back: a question open is answered with its safe choice; a screen with its own idea
        of back (the patrol, its end, a report, a re-check) is asked; others go home."""
        if key != BACK_KEY:
            return False
        dialogs = [w for w in Window.children if isinstance(w, ModalView)]
        if dialogs:
            if hasattr(dialogs[0], "choose"):
                dialogs[0].choose(False)
            else:
                dialogs[0].dismiss()
            return True
        screen = self.sm.current_screen
        if hasattr(screen, "on_back"):
            return screen.on_back()
        if self.sm.current in BACK_TO:
            self.goto(BACK_TO[self.sm.current])
            return True
        return False  # sign-in or home: Android's own back (the app goes to the background)

    @mainthread
    def _synced(self, _outcome: dict) -> None:
        """After every sync, the screen on show says what is new (home's counts, the outbox's states), and the
        reminders follow the new counts."""
        self.remind()
        screen = self.sm.current_screen
        if hasattr(screen, "refresh") and self.sm.current in ("home", "outbox", "history", "tasks", "month", "inbox"):
            screen.refresh()

    def notice(self, text: str) -> None:
        self.strip.notice(text)

    def goto(self, name: str) -> None:
        self.sm.current = name

    def show_card(self, card: dict) -> None:
        self.sm.get_screen("card").show(card)
        self.goto("card")

    def start_patrol(self, card: dict) -> None:
        """Precise location first (and, asked once each, background location and notifications): without it
        no patrol is started, so nothing is recorded."""
        def begin() -> None:
            self.controller.start_patrol(card)
            self._open_patrol(card)

        def keep_alive_first() -> None:  # once, before the first patrol: the maker's battery manager
            keep = self._keepalive()
            if keep is not None and keep.due():
                self.show_keepalive(begin)
            else:
                begin()

        self.with_permissions(BEFORE_PATROL, keep_alive_first)

    def _keepalive(self):
        if not on_android():
            return None
        from .keepalive import KeepAlive
        from .platform.android import AndroidSystem

        return KeepAlive(AndroidSystem(), self.controller.store)

    def show_keepalive(self, then=None) -> None:
        """保持巡河不被中断, before the first patrol and from the home screen."""
        keep = self._keepalive()
        if keep is None:
            return
        self.sm.get_screen("keepalive").show(keep, then or (lambda: self.goto("home")))
        self.goto("keepalive")

    def take_photo(self, add, back: str) -> None:
        """The camera, once its permissions are granted; ``add(path, origin)`` on the Kivy thread."""
        from .platform.camera import take_photo

        def taken(path: str | None, origin: str) -> None:
            if path:
                add(path, origin)

        folder = self.controller.data_dir / "incoming"
        self.with_permissions(BEFORE_PHOTO, lambda: take_photo(mainthread(taken), folder), back=back)

    def with_permissions(self, steps, go, back: str | None = None) -> None:
        """On a phone, ask for what ``steps`` need that is missing (mobile/permissions.py), then ``go``; a refusal
        shows what will not work and the button that fixes it. Elsewhere straight on."""
        if not on_android():
            go()
            return
        from .platform.android import AndroidSystem

        flow = Permissions(AndroidSystem())
        if not flow.missing(steps):
            go()
            return
        screen, came_from = self.sm.get_screen("permission"), self.sm.current

        def explain(step, go_on) -> None:
            screen.explain(step, go_on)
            self.goto("permission")

        def done(outcome) -> None:
            if outcome.go and not outcome.refused:
                go()
            else:
                screen.outcome(outcome, flow.fix, go, lambda: self.goto(back or came_from))

        flow.run(steps, mainthread(explain), mainthread(done))

    def _open_patrol(self, card: dict | None) -> None:
        self.start_gps()
        self.sm.get_screen("patrol").begin(card)
        self.goto("patrol")

    def finish_patrol(self, card: dict | None) -> None:
        self.sm.get_screen("finish").prepare(card, self.controller.preview())
        self.goto("finish")

    def report_problem(self, about: str = "", back: str | None = None) -> None:
        """A new report. Off patrol the GPS is started for it (on a phone after precise location), so the problem
        is placed where the inspector stands now, never by an old fix."""
        def go() -> None:
            if self.gps is None and not self._recording():
                self.gps = gps_service(self.controller.note_fix, lambda _status: None, self.gpx, self.speed, 0)
                self.gps.start()
                self._gps_for_problem = True
            self.sm.get_screen("problem").start(about, back or self.sm.current)
            self.goto("problem")

        if self._recording():
            go()
        else:
            self.with_permissions((LOCATION,), go)

    def close_problem(self, back: str | None) -> None:
        if getattr(self, "_gps_for_problem", False):
            self.stop_gps()
            self._gps_for_problem = False
        self.goto(back or ("patrol" if self._recording() else "home"))

    def _recording(self) -> bool:
        rec = self.controller.recorder
        return bool(rec and rec.patrol_uuid)

    def open_recheck(self, task: dict) -> None:
        """A re-check needs the phone's position: the GPS runs while the screen is open (unless a patrol
        is being recorded, whose GPS already runs). On a phone it needs precise location first, and its fixes
        only say where the inspector is: the recording service alone writes a patrol's track."""
        def go() -> None:
            if self.gps is None:
                self.gps = gps_service(self.controller.note_fix, lambda _status: None, self.gpx, self.speed, 0)
                self.gps.start()
                self._gps_for_recheck = True
            self.sm.get_screen("recheck").show(task)
            self.goto("recheck")

        self.with_permissions((LOCATION,), go)

    def close_recheck(self) -> None:
        if getattr(self, "_gps_for_recheck", False):
            self.stop_gps()
            self._gps_for_recheck = False
        self.goto("tasks")

    def start_gps(self) -> None:
        if on_android():  # a foreground service records, so the screen may go off
            from .platform.android import start_recording_service

            start_recording_service()
            return
        rec = self.controller.recorder
        already = len(self.controller.store.track(rec.patrol_uuid)) if rec.patrol_uuid else 0
        self.gps = gps_service(self.controller.on_fix, lambda status: rec.on_event(status)
                               if status in ("gps_lost", "gps_regained") else None, self.gpx, self.speed, already)
        self.gps.start()

    def stop_gps(self) -> None:
        if self.gps:
            self.gps.stop()
            self.gps = None

    def sync_in_background(self, quiet: bool = False) -> None:
        if self.controller.sync and network_available():
            threading.Thread(target=self.controller.sync_now, daemon=True).start()

    def on_pause(self) -> bool:  # Android sends the app to the background
        if self.controller.recorder and self.controller.recorder.patrol_uuid:
            self.controller.recorder.on_event("paused")
        return True

    def on_resume(self) -> None:
        if self.controller.recorder and self.controller.recorder.patrol_uuid:
            self.controller.recorder.on_event("resumed")
