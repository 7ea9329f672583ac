"""Asking for a permission, and saying what a refusal means: kv/permission.kv (mobile/permissions.py decides)."""
from __future__ import annotations

from collections.abc import Callable

from kivy.uix.screenmanager import Screen

from ..permissions import Outcome, Step


class PermissionScreen(Screen):
    """One step at a time: the sentence of why, then Android's question; at the end, what was refused and the
    button that fixes it."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self._primary: Callable[[], None] | None = None
        self._secondary: Callable[[], None] | None = None

    def _show(self, title: str, text: str, primary: tuple[str, Callable[[], None]],
              secondary: tuple[str, Callable[[], None]] | None) -> None:
        self.ids.title.text = title
        self.ids.text.text = text
        self.ids.primary_btn.text, self._primary = primary
        self.ids.secondary_btn.opacity = 1 if secondary else 0
        self.ids.secondary_btn.disabled = secondary is None
        self.ids.secondary_btn.text, self._secondary = secondary or ("", None)

    def explain(self, step: Step, go_on: Callable[[], None]) -> None:
        self._show("需要您的允许", step.why, ("好的", go_on), None)

    def outcome(self, outcome: Outcome, fix: Callable[[Step], None], go: Callable[[], None],
                back: Callable[[], None]) -> None:
        """A refused step: what will not work, its fix, and going on (optional steps) or back (required)."""
        last = outcome.refused[-1]
        text = "\n".join(s.refused for s in outcome.refused)
        if outcome.go:
            self._show("有些设置还没打开", text, (last.fix, lambda: fix(last)), ("先这样，继续", go))
        else:
            self._show("没有得到允许", text, (last.fix, lambda: fix(last)), ("返回", back))

    def primary(self) -> None:
        if self._primary:
            self._primary()

    def secondary(self) -> None:
        if self._secondary:
            self._secondary()


class KeepAliveScreen(Screen):
    """保持巡河不被中断 (mobile/keepalive.py): Android's battery question, the maker's page, then on."""

    def show(self, keep, then: Callable[[], None]) -> None:
        self.keep, self.then = keep, then
        self.ids.text.text = keep.text()
        exempt = keep.system.ignoring_battery_optimizations()
        self.ids.battery_btn.opacity, self.ids.battery_btn.disabled = (0, True) if exempt else (1, False)
        self.ids.maker_btn.text = f"打开{keep.maker.name}的后台设置"

    def battery(self) -> None:
        self.keep.ask_battery()

    def maker_page(self) -> None:
        self.keep.open_maker_page()

    def done(self) -> None:
        self.keep.shown()
        self.then()
