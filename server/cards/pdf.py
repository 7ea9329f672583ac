"""The printable responsibility card (网格化管理责任卡) as PDF: the Chinese font embedded, a QR code."""
from __future__ import annotations

import io

import qrcode
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from .. import pdf
from ..exports import ExportFile
from .models import ResponsibilityCard
from .service import grid_names, rule_text_for


def card_pdf(card: ResponsibilityCard, rule_text: str | None = None) -> bytes:
    font = pdf.font()
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
    rows = [("责任人（定人）", f"{card.inspector.name}  {card.duty_label}  {card.inspector.phone}"),
            *([("代巡人", f"{card.assistant.name}  {card.assistant.phone}")] if card.assistant else []),
            ("网格", " / ".join(grid_names(card.grid))),
            ("责任河段", "、".join(f"{s.name}（{s.length_m:.0f} 米）" for s in card.segments) or "本网格水体"),
            ("巡河要求（定量）", rule_text or card.frequency_summary or "—"),
            ("网格长", f"{card.supervisor.name}  {card.supervisor.phone}" if card.supervisor else "—")]
    y = pdf.labelled(c, font, rows, 20 * mm, 60 * mm, y, width - 80 * mm, 4 * mm)
    c.setFont(font, 12)
    c.drawString(20 * mm, y, "职责（定事、定质）")
    y -= 7 * mm
    for n, duty in enumerate(card.duties or [], 1):
        y = pdf.wrapped(c, font, f"{n}. {duty}", 25 * mm, y, width - 45 * mm) - 2 * mm
    c.setFont(font, 9)
    c.drawString(20 * mm, 15 * mm, "河巡 RiverPatrol · 扫描二维码核对责任卡 · 变更后以最新版本为准")
    c.showPage()
    c.save()
    return buf.getvalue()


def card_file(card: ResponsibilityCard) -> ExportFile:
    """The printable card, to open in the browser and print."""
    return ExportFile(f"card-{card.card_no}-v{card.version}.pdf", "application/pdf",
                      card_pdf(card, rule_text_for(card)), inline=True)

