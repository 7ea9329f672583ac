"""The printable responsibility card (网格化管理责任卡) as PDF: the Chinese font embedded, a QR code."""
from __future__ import annotations

import io

import qrcode
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from shared_models.fonts import find_cjk_font

from ..exports import ExportFile
from .models import ResponsibilityCard
from .service import grid_names, rule_text_for

FONT = "RiverPatrolCJK"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        path = find_cjk_font()
        if path is None:
            raise RuntimeError("找不到中文字体，无法打印责任卡 / no Chinese font: install fonts-wqy-microhei")
        pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))  # subset-embedded in the PDF
    return FONT


def card_pdf(card: ResponsibilityCard, rule_text: str | None = None) -> bytes:
    font = _font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(f"网格化管理责任卡 {card.card_no}")
    width, height = A4
    y = height - 30 * mm
    c.setFont(font, 22)
    c.drawCentredString(width / 2, y, "网格化管理责任卡")
    y -= 9 * mm
    c.setFont(font, 11)
    c.drawCentredString(width / 2, y, f"编号 {card.card_no}  第 {card.version} 版  "
                                      f"有效期 {card.valid_from} 至 {card.valid_to or '长期'}")
    qr = qrcode.make(f"RIVERPATROL-CARD:{card.card_no}:v{card.version}")
    img = io.BytesIO()
    qr.save(img, format="PNG")
    c.drawImage(ImageReader(io.BytesIO(img.getvalue())), width - 55 * mm, 22 * mm, 35 * mm, 35 * mm)  # bottom right
    y -= 16 * mm
    rows = [("责任人（定人）", f"{card.inspector.name}  {card.inspector.phone}"),
            ("网格", " / ".join(grid_names(card.grid))),
            ("责任河段", "、".join(f"{s.name}（{s.length_m:.0f} 米）" for s in card.segments) or "本网格水体"),
            ("巡河要求（定量）", rule_text or card.frequency_summary or "—"),
            ("网格长", f"{card.supervisor.name}  {card.supervisor.phone}" if card.supervisor else "—")]
    for label, value in rows:
        c.setFont(font, 12)
        c.drawString(20 * mm, y, label)
        y = _wrapped(c, font, value, 60 * mm, y, width - 80 * mm)
        y -= 4 * mm
    c.setFont(font, 12)
    c.drawString(20 * mm, y, "职责（定事、定质）")
    y -= 7 * mm
    for n, duty in enumerate(card.duties or [], 1):
        y = _wrapped(c, font, f"{n}. {duty}", 25 * mm, y, width - 45 * mm) - 2 * mm
    c.setFont(font, 9)
    c.drawString(20 * mm, 15 * mm, "河巡 RiverPatrol · 扫描二维码核对责任卡 · 变更后以最新版本为准")
    c.showPage()
    c.save()
    return buf.getvalue()


def _wrapped(c, font: str, text: str, x: float, y: float, width: float, size: int = 12) -> float:
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


def card_file(card: ResponsibilityCard) -> ExportFile:
    """The printable card, to open in the browser and print."""
    return ExportFile(f"card-{card.card_no}-v{card.version}.pdf", "application/pdf",
                      card_pdf(card, rule_text_for(card)), inline=True)

