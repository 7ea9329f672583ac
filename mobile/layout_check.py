"""What a person holding the phone would see wrong on a screen, found from the live widgets (for the window tests
at phone density and large font scales, through mobile/automation.py's ``check_layout`` step):

- a text larger than its box (clipped, or drawn over its neighbours);
- a touch target (button, check box, text field) smaller than 48 dp either way, or two that overlap;
- something drawn outside the window (a list running off the screen), except inside a scrolling area;
- an English word or a code in a visible text (numbers and the units below are fine);
- text whose contrast with what is behind it is below 4.5:1 (WCAG AA, Android's accessibility guidance).
"""
from __future__ import annotations

import re

from kivy.core.window import Window
from kivy.metrics import dp
from kivy.uix.button import ButtonBehavior
from kivy.uix.checkbox import CheckBox
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.scrollview import ScrollView
from kivy.uix.textinput import TextInput

MIN_TARGET_DP = 48
MIN_CONTRAST = 4.5
UNITS = {"KB", "MB", "km", "m"}  # what may stand after a number; everything else in Latin letters is a word
SCREEN_BG = (0.96, 0.97, 0.95)
_MARKUP = re.compile(r"\[/?(?:b|i|u|s|color|size|font|ref|anchor|sub|sup)(?:=[^\]]*)?\]")
_WORD = re.compile(r"[A-Za-z_]+")


def visible_widgets(root):
    """Every widget of the tree that can be seen: not transparent, and none of its ancestors transparent."""
    stack = [root]
    while stack:
        w = stack.pop()
        if w.opacity <= 0:
            continue
        yield w
        stack.extend(w.children)


def shown_text(widget) -> str:
    if isinstance(widget, TextInput):
        return widget.hint_text if not widget.text else ""  # what the person typed is theirs
    return _MARKUP.sub("", widget.text) if isinstance(widget, Label) else ""


def ascii_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if w not in UNITS]


def luminance(rgb) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def background_of(widget):
    """What a text is drawn on: a button's own colour, else the nearest ancestor that paints one (``bg_color``),
    else the screen's."""
    if isinstance(widget, ButtonBehavior) and hasattr(widget, "background_color") and not widget.background_normal:
        return widget.background_color
    w = widget
    while w is not None:
        if getattr(w, "bg_color", None):
            return w.bg_color
        w = w.parent if w.parent is not w else None
    return SCREEN_BG


def _rect(widget):
    x, y = widget.to_window(widget.x, widget.y)
    return x, y, x + widget.width, y + widget.height


def _scrolled(widget) -> bool:
    w = widget.parent
    while w is not None and w is not w.parent:
        if isinstance(w, ScrollView):
            return True
        w = w.parent
    return False


def _name(widget) -> str:
    text = shown_text(widget).replace("\n", " ")[:24]
    return f"{type(widget).__name__}({text!r})"


def problems(root) -> list[str]:
    """What is wrong on the screen drawn from ``root`` (and any dialog open over it)."""
    trees = [root] + [w for w in Window.children if isinstance(w, ModalView)]
    out: list[str] = []
    for tree in trees:  # a dialog covers the screen: its buttons are compared with each other only
        targets = []
        for w in visible_widgets(tree):
            out.extend(_check(w))
            if isinstance(w, ButtonBehavior | CheckBox | TextInput) and not w.disabled:
                targets.append(w)
        out.extend(_overlaps(targets))
    return out


def _overlaps(targets: list) -> list[str]:
    out = []
    for i, a in enumerate(targets):
        ax0, ay0, ax1, ay1 = _rect(a)
        for b in targets[i + 1:]:
            bx0, by0, bx1, by1 = _rect(b)
            if min(ax1, bx1) - max(ax0, bx0) > 1 and min(ay1, by1) - max(ay0, by0) > 1 \
                    and not (a in b.walk() or b in a.walk()):
                out.append(f"{_name(a)} overlaps {_name(b)}")
    return out


def _check(w) -> list[str]:
    out = []
    text = shown_text(w)
    x0, y0, x1, y1 = _rect(w)
    outside = x0 < -1 or x1 > Window.width + 1 or (not _scrolled(w) and (y0 < -1 or y1 > Window.height + 1))
    if w.width > 0 and w.height > 0 and outside and (text or isinstance(w, ButtonBehavior)):
        out.append(f"{_name(w)} is outside the window: {tuple(round(v) for v in (x0, y0, x1, y1))}")
    small = w.width < dp(MIN_TARGET_DP) - 0.5 or w.height < dp(MIN_TARGET_DP) - 0.5
    if isinstance(w, ButtonBehavior | CheckBox | TextInput) and not w.disabled and small:
        out.append(f"{_name(w)} is {w.width / dp(1):.0f} x {w.height / dp(1):.0f} dp, under {MIN_TARGET_DP} dp")
    if isinstance(w, Label) and text.strip():
        w.texture_update()
        tw, th = w.texture_size
        if tw > w.width + 1 or th > w.height + 1:
            out.append(f"{_name(w)} needs {tw:.0f} x {th:.0f} px, has {w.width:.0f} x {w.height:.0f}")
        ratio = contrast(w.color, background_of(w))
        if ratio < MIN_CONTRAST:
            out.append(f"{_name(w)} contrast {ratio:.1f}:1, under {MIN_CONTRAST}:1")
    if text and ascii_words(text):
        out.append(f"{_name(w)} shows {ascii_words(text)}")
    return out
