"""What several screens draw with: colours, a panel, a question before something that cannot be undone, the map
canvas and a wrapping label."""
from __future__ import annotations

import math
from collections.abc import Callable

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.graphics import Color, Line
from kivy.properties import ColorProperty, ListProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.widget import Widget

# Every text on these reaches 4.5:1 (WCAG AA; mobile/layout_check.py measures it on every screen).
COLOURS = {
    "screen": (0.96, 0.97, 0.95, 1), "card": (1, 1, 1, 1), "text": (0.1, 0.1, 0.1, 1), "title": (0.05, 0.3, 0.45, 1),
    "muted": (0.3, 0.3, 0.3, 1), "primary": (0.05, 0.38, 0.62, 1), "go": (0.08, 0.45, 0.22, 1),
    "stop": (0.72, 0.16, 0.1, 1), "neutral": (0.36, 0.38, 0.4, 1), "idle": (0.85, 0.87, 0.88, 1),
    "warn": (0.62, 0.36, 0.0, 1), "strip": (0.1, 0.2, 0.3, 1), "error": (0.72, 0.1, 0.1, 1),
}


class Panel(BoxLayout):
    """A white card: its children stacked, as tall as they are (kv/common.kv)."""

    bg_color = ColorProperty(COLOURS["card"])


class Confirm(ModalView):
    """Asks before something that cannot be undone (ending a patrol, signing out): the safe choice is the lower
    button and the back key."""

    def __init__(self, question: str, detail: str, yes: str, no: str, then: Callable[[bool], None], **kw) -> None:
        super().__init__(**kw)
        self.ids.question.text, self.ids.detail.text = question, detail
        self.ids.detail.opacity = 1 if detail else 0
        self.ids.yes_btn.text, self.ids.no_btn.text = yes, no
        self.then = then

    def choose(self, yes: bool) -> None:
        self.dismiss()
        self.then(yes)


def para(text: str = "", **kw) -> Label:
    """A text that wraps at its box and is as tall as it is (kv's Para, from Python)."""
    return Factory.Para(text=text, **kw)


class MapView(Widget):
    """Grid, segments and track drawn on a plain canvas from cached GeoJSON: no tiles needed."""

    rings = ListProperty([])  # grid boundary rings, [(lon, lat), ...]
    segments = ListProperty([])
    track = ListProperty([])

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        # one redraw per frame, after layout, however many properties change
        trigger = Clock.create_trigger(self.redraw)
        self.bind(pos=trigger, size=trigger, rings=trigger, segments=trigger, track=trigger)

    def redraw(self, *_args) -> None:
        self.canvas.clear()
        points = [p for ring in self.rings for p in ring] + [p for s in self.segments for p in s] + list(self.track)
        if not points:
            return
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        kx = math.cos(math.radians(sum(lats) / len(lats)))  # metres east per degree shrink with latitude
        w, h = max(max(lons) - min(lons), 1e-6) * kx, max(max(lats) - min(lats), 1e-6)
        scale = min((self.width - 20) / w, (self.height - 20) / h)

        def xy(p):
            return [self.x + 10 + (p[0] - min(lons)) * kx * scale, self.y + 10 + (p[1] - min(lats)) * scale]

        with self.canvas:
            Color(0.55, 0.55, 0.55, 1)
            for ring in self.rings:
                Line(points=[c for p in ring for c in xy(p)], width=1.2, close=True)
            Color(0.1, 0.45, 0.85, 1)
            for seg in self.segments:
                Line(points=[c for p in seg for c in xy(p)], width=3)
            if len(self.track) > 1:
                Color(0.9, 0.35, 0.1, 1)
                Line(points=[c for p in self.track for c in xy(p)], width=2)


def _wrapping(label: Label) -> Label:
    """A label that wraps at its own width, whatever the layout gives it."""
    label.bind(width=lambda lbl, w: setattr(lbl, "text_size", (w, None)))
    return label


def _rings(geometry: dict | None) -> list:
    if not geometry:
        return []
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [ring for poly in polys for ring in poly]
