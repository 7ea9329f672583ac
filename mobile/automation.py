"""Driving the real app from a JSON script, for UI tests under Xvfb: taps, typing, waits, screenshots.

Steps run on the Kivy clock, one after another, against the live widgets; a step that
cannot be done ends the app with exit code 2 and says why on stderr.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.modalview import ModalView


def _dialogs() -> list:
    return [w for w in Window.children if isinstance(w, ModalView)]


def _find_button(roots, text: str, whole: bool = True):
    """The first button whose text is ``text`` (or, not ``whole``, contains it)."""
    for root in roots:
        for widget in root.walk(restrict=True):
            label = getattr(widget, "text", None)
            if isinstance(widget, ButtonBehavior) and label is not None and (label == text or not whole and
                                                                              text in label):
                return widget
    return None


def _find_id(roots, name: str):
    """A widget by its kv id: on an open dialog first (it covers the screen), then on the screen."""
    for root in roots:
        if name in root.ids:
            return root.ids[name]
    return None


def attach(app, script_path: str, shots: str) -> None:
    steps = json.loads(Path(script_path).read_text(encoding="utf-8"))
    on_fix = app.controller.on_fix

    def logged_fix(fix: dict) -> None:  # the crash test needs to know what reached the recorder, and when
        on_fix(fix)
        _say(f"fix {fix['t']:.3f}")

    app.controller.on_fix = logged_fix
    Path(shots).mkdir(parents=True, exist_ok=True)
    state = {"i": 0, "since": None}

    def fail(message: str) -> None:
        print(f"UI script step {state['i']} failed: {message}", file=sys.stderr, flush=True)
        app.exit_code = 2
        app.stop()

    def tick(_dt) -> None:
        if state["i"] >= len(steps):
            return
        step = steps[state["i"]]
        state["since"] = state["since"] or time.monotonic()
        if time.monotonic() - state["since"] > step.get("timeout", 30):
            return fail(f"timed out: {step}")
        screen = app.sm.current_screen
        do = step["do"]
        if do == "wait_screen":
            if app.sm.current != step["name"]:
                return
        elif do == "wait":
            if time.monotonic() - state["since"] < step["seconds"]:
                return
        elif do == "text":
            screen.ids[step["id"]].text = step["value"]
        elif do == "tap":
            roots = [*_dialogs(), screen]
            if "id" in step:
                button = _find_id(roots, step["id"])
            else:
                button = _find_button(roots, step.get("text") or step["contains"], whole="text" in step)
            if button is None or button.disabled:
                return  # not on screen yet: wait for it until the timeout
            button.trigger_action(duration=0)  # press and release, as a finger would (a toggle changes state)
        elif do == "back":  # Android's back key (Kivy maps it to Escape)
            Window.dispatch("on_keyboard", 27, 0, None, [])
        elif do == "no_dialog":
            if _dialogs():
                return
        elif do == "dismiss_dialog":  # a chooser the test does not use (the desktop's camera stand-in)
            for dialog in _dialogs():
                dialog.dismiss()
        elif do == "say_screen":
            _say(f"screen: {app.sm.current}")
        elif do == "say_all":  # every text on the screen, for the test to read
            from kivy.uix.label import Label

            for w in screen.walk():
                if isinstance(w, Label) and w.text and w.opacity > 0:
                    _say("text: " + w.text.replace("\n", " | "))
        elif do == "wait_file":  # the test did something on the server meanwhile
            if not Path(step["path"]).exists():
                return
        elif do == "check_layout":  # what would look wrong on this screen (mobile/layout_check.py)
            from .layout_check import problems

            _say(f"layout {step['name']}: " + json.dumps(problems(app.root), ensure_ascii=False))
        elif do == "call":
            getattr(screen, step["method"])(*step.get("args", []))
        elif do == "wait_until":
            if not _condition(app, step["what"]):
                return
        elif do == "say":  # what a label shows, for the test to read
            widget = _find_id([*_dialogs(), screen, app.root.children[-1]], step["id"])  # (the status strip)
            _say(f"said {step['id']}: {widget.text if widget is not None else None}")
        elif do == "shot":
            _screenshot(Path(shots) / f"{step['name']}.png")
        elif do == "quit":
            app.stop()
            return
        else:
            return fail(f"unknown step {do}")
        _say(f"step {state['i']} done: {do} {step.get('name') or step.get('id') or step.get('text') or ''}")
        state["i"] += 1
        state["since"] = None

    Clock.schedule_interval(tick, 0.05)  # a step a frame or so: the window tests wait on the app, not on this


def _screenshot(path: Path) -> None:
    """The window as drawn, row by row: Kivy's own screenshot assumes rows padded to 4 bytes, which skews a window
    whose width is not a multiple of 4 (990 px at density 2.75)."""
    from kivy.graphics.opengl import GL_PACK_ALIGNMENT, GL_RGB, GL_UNSIGNED_BYTE, glPixelStorei, glReadPixels
    from PIL import Image

    width, height = Window.size
    path.parent.mkdir(parents=True, exist_ok=True)
    glPixelStorei(GL_PACK_ALIGNMENT, 1)
    data = glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE)
    Image.frombytes("RGB", (width, height), data).transpose(Image.Transpose.FLIP_TOP_BOTTOM).save(path)


def _say(line: str) -> None:
    """One write per line: the GPS thread and the clock both report, and lines must not interleave."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _condition(app, what: str) -> bool:
    c = app.controller
    if what == "outbox_synced":
        items = c.outbox()
        return bool(items) and all(i["state"] == "synced" for i in items)
    if what == "outbox_failed":
        items = c.outbox()
        return bool(items) and all(i["state"] == "failed" and i["last_error"] for i in items)
    if what == "has_fixes":
        rec = c.recorder
        return bool(rec and rec.patrol_uuid and len(c.store.track(rec.patrol_uuid)) >= 20)
    if what == "gps_done":
        return app.gps is None or not app.gps._thread or not app.gps._thread.is_alive()
    raise ValueError(what)
