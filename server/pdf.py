"""What the printed documents share (the responsibility card, the 督办单): the Chinese font, embedded, and text
wrapped to a width."""
from __future__ import annotations

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from shared_models.fonts import find_cjk_font

FONT = "RiverPatrolCJK"


def font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        path = find_cjk_font()
        if path is None:
            raise RuntimeError("找不到中文字体，无法生成 PDF / no Chinese font: install fonts-wqy-microhei")
        pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))  # subset-embedded in the PDF
    return FONT


def wrapped(c, font: str, text: str, x: float, y: float, width: float, size: int = 12) -> float:
    """Draw ``text`` from (x, y) breaking lines at ``width``; answers the y below it."""
    c.setFont(font, size)
    line = ""
    for ch in text:
        if pdfmetrics.stringWidth(line + ch, font, size) > width:
            c.drawString(x, y, line)
            y -= size * 1.5
            line = ch
        else:
            line += ch
    if line:
        c.drawString(x, y, line)
        y -= size * 1.5
    return y


def labelled(c, font: str, rows: list[tuple[str, str]], label_x: float, value_x: float, y: float, width: float,
             gap: float) -> float:
    """A label and its wrapped value per row, ``gap`` between rows; answers the y below them."""
    for label, value in rows:
        c.setFont(font, 12)
        c.drawString(label_x, y, label)
        y = wrapped(c, font, value, value_x, y, width) - gap
    return y
