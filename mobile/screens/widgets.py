"""What several screens draw with: colours, a panel, a question before something that cannot be undone, the map
canvas and a wrapping label."""
from __future__ import annotations

import io
import math
from collections.abc import Callable

from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.factory import Factory
from kivy.graphics import Color, Ellipse, Line, Rectangle, StencilPop, StencilPush, StencilUnUse, StencilUse
from kivy.metrics import dp
from kivy.properties import ColorProperty, ListProperty, ObjectProperty
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


WALKED, NOT_WALKED = (0.1, 0.6, 0.2, 1), (0.2, 0.45, 0.9, 1)  # the map's segments: walked, not yet


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
    """Grid, segments and track drawn on a plain canvas from cached GeoJSON: no tiles needed. Zoomed to the
    card's segments (or grid); the segments' walked parts green, the rest blue; where I am, a red dot."""

    rings = ListProperty([])  # grid boundary rings, [(lon, lat), ...]
    segments = ListProperty([])
    track = ListProperty([])
    walked = ListProperty([])  # parts of the segments walked on this patrol
    unwalked = ListProperty([])  # and not yet
    position = ListProperty([])  # [lon, lat] of the last fix, or []
    tiles = ObjectProperty(None, allownone=True)  # the county's basemap (mobile.basemap.Tiles), drawn underneath

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        # one redraw per frame, after layout, however many properties change
        trigger = Clock.create_trigger(self.redraw)
        self.bind(pos=trigger, size=trigger, rings=trigger, segments=trigger, track=trigger, walked=trigger,
                  unwalked=trigger, position=trigger, tiles=trigger)
        self._textures: dict = {}

    def redraw(self, *_args) -> None:
        self.canvas.clear()
        # the view: the segments (else the grid, else the track), so the map shows what the inspector must walk
        points = [p for s in self.segments for p in s] or [p for ring in self.rings for p in ring] or list(self.track)
        if not points:
            return
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        kx = math.cos(math.radians(sum(lats) / len(lats)))  # metres east per degree shrink with latitude
        w, h = max(max(lons) - min(lons), 1e-6) * kx, max(max(lats) - min(lats), 1e-6)
        margin = dp(12)
        scale = min((self.width - 2 * margin) / w, (self.height - 2 * margin) / h)
        x0 = self.x + (self.width - w * scale) / 2
        y0 = self.y + (self.height - h * scale) / 2

        def xy(p):
            return [x0 + (p[0] - min(lons)) * kx * scale, y0 + (p[1] - min(lats)) * scale]

        with self.canvas:
            StencilPush()  # nothing drawn outside the map's box, however far the track wanders
            Rectangle(pos=self.pos, size=self.size)
            StencilUse()
            Color(0.92, 0.94, 0.9, 1)
            Rectangle(pos=self.pos, size=self.size)
            if self.tiles is not None:
                Color(1, 1, 1, 1)
                west = min(lons) + (self.x - x0) / (kx * scale)
                east = min(lons) + (self.right - x0) / (kx * scale)
                south = min(lats) + (self.y - y0) / scale
                north = min(lats) + (self.top - y0) / scale
                for texture, nw, se in self._tiles_over(west, south, east, north):
                    (ax, ay), (bx, by) = xy(nw), xy(se)
                    Rectangle(texture=texture, pos=(ax, by), size=(bx - ax, ay - by))
            Color(0.55, 0.55, 0.55, 1)
            for ring in self.rings:
                Line(points=[c for p in ring for c in xy(p)], width=dp(1), close=True)
            Color(*NOT_WALKED)
            for seg in (self.unwalked if self.walked or self.unwalked else self.segments):
                Line(points=[c for p in seg for c in xy(p)], width=dp(3))
            Color(*WALKED)
            for seg in self.walked:
                Line(points=[c for p in seg for c in xy(p)], width=dp(4))
            if len(self.track) > 1:
                Color(0.9, 0.45, 0.1, 1)
                Line(points=[c for p in self.track for c in xy(p)], width=dp(1.2))
            if self.position:
                cx, cy = xy(self.position)
                Color(1, 1, 1, 1)
                Ellipse(pos=(cx - dp(9), cy - dp(9)), size=(dp(18), dp(18)))
                Color(0.85, 0.1, 0.1, 1)
                Ellipse(pos=(cx - dp(6), cy - dp(6)), size=(dp(12), dp(12)))
            StencilUnUse()
            Rectangle(pos=self.pos, size=self.size)
            StencilPop()


    def _tiles_over(self, west: float, south: float, east: float, north: float):
        """(texture, north-west lon/lat, south-east lon/lat) of each basemap tile under the view (at most 64)."""
        from ..basemap import tile_lonlat, tile_xy

        z = self.tiles.zoom_for(east - west, self.width)
        while z > self.tiles.min_zoom:
            x0, y0 = tile_xy(west, north, z)
            x1, y1 = tile_xy(east, south, z)
            if (int(x1) - int(x0) + 1) * (int(y1) - int(y0) + 1) <= 64:
                break
            z -= 1
        x0, y0 = tile_xy(west, north, z)
        x1, y1 = tile_xy(east, south, z)
        for x in range(int(x0), int(x1) + 1):
            for y in range(int(y0), int(y1) + 1):
                texture = self._texture(z, x, y)
                if texture is not None:
                    yield texture, tile_lonlat(x, y, z), tile_lonlat(x + 1, y + 1, z)

    def _texture(self, z: int, x: int, y: int):
        key = (z, x, y)
        if key not in self._textures:
            if len(self._textures) > 256:
                self._textures.clear()
            data = self.tiles.tile(z, x, y)  # None unless its bytes are the package's image format
            self._textures[key] = CoreImage(io.BytesIO(data), ext=self.tiles.fmt).texture if data else None
        return self._textures[key]


def _wrapping(label: Label) -> Label:
    """A label that wraps at its own width, whatever the layout gives it."""
    label.bind(width=lambda lbl, w: setattr(lbl, "text_size", (w, None)))
    return label


def _rings(geometry: dict | None) -> list:
    if not geometry:
        return []
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [ring for poly in polys for ring in poly]
