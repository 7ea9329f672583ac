"""The font the app draws Chinese with: the phone's own CJK font where it has one (complete, and the look the
inspector knows), else the subset the app ships (riverpatrol-cjk.ttf: GB 2312 and every string of the app,
scripts/subset_font.py), so a phone without Noto CJK still shows Chinese instead of boxes."""
from __future__ import annotations

from pathlib import Path

from shared_models.fonts import CANDIDATES, MISSING, find_cjk_font

SHIPPED = Path(__file__).resolve().parent / "riverpatrol-cjk.ttf"

__all__ = ["MISSING", "SHIPPED", "app_font"]


def app_font(candidates: list[str] = CANDIDATES, fontconfig: bool = True) -> str | None:
    return find_cjk_font(candidates, fontconfig) or (str(SHIPPED) if SHIPPED.exists() else None)
