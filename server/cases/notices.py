"""督办单: a numbered document issued with each escalation step of an overdue case, numbered per county and year,
as a PDF with the Chinese font (the case, the responsible unit, the deadline, the escalation level, signature
lines). The unit's staff and the case's managers may download it."""
from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from sqlalchemy import func, select

from shared_models.enums import PROBLEM_CATEGORIES

from .. import pdf
from ..errors import NotFound
from ..exports import ExportFile
from ..extensions import db
from ..grids.service import county_of
from ..transaction import after_commit
from .events import notice_issued
from .models import Case, EscalationNotice

PDF_MIME = "application/pdf"


def issue(case: Case, level: int, label: str, overdue_days: int, today) -> EscalationNotice:
    county = county_of(case.grid)
    seq = (db.session.scalar(select(func.max(EscalationNotice.seq)).where(
        EscalationNotice.county_id == county.id, EscalationNotice.year == today.year)) or 0) + 1
    who = "、".join(x for x in (case.assignee_unit.name if case.assignee_unit else None,
                                case.assignee.name if case.assignee else None) if x) or "—"
    notice = EscalationNotice(case=case, county_id=county.id, year=today.year, seq=seq, level=level, label=label,
                              responsible=who, deadline=case.deadline, overdue_working_days=overdue_days)
    db.session.add(notice)
    db.session.flush()  # (the next one's number counts this one)
    after_commit(notice_issued.send, notice)
    return notice


def of_case(case: Case) -> list[EscalationNotice]:
    return db.session.scalars(select(EscalationNotice).where(EscalationNotice.case_id == case.id)
                              .order_by(EscalationNotice.id)).all()


def one(case: Case, notice_id: int) -> EscalationNotice:
    found = db.session.scalar(select(EscalationNotice).where(EscalationNotice.id == notice_id,
                                                             EscalationNotice.case_id == case.id))
    if found is None:
        raise NotFound()
    return found


def pdf_file(notice: EscalationNotice) -> ExportFile:
    font = pdf.font()
    case, problem = notice.case, notice.case.problem
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setTitle(f"督办单 {notice.number}")
    width, height = A4
    y = height - 30 * mm
    c.setFont(font, 24)
    c.drawCentredString(width / 2, y, "督 办 单")
    y -= 10 * mm
    c.setFont(font, 12)
    c.drawCentredString(width / 2, y, notice.number)
    y -= 16 * mm
    rows = [("案件编号", case.case_no),
            ("问题", f"{PROBLEM_CATEGORIES.get(case.category, (case.category,))[0]}：{problem.description or '—'}"),
            ("所在网格", case.grid.name),
            ("责任单位（人）", notice.responsible),
            ("整改期限", f"{notice.deadline.isoformat()}（已超期 {notice.overdue_working_days} 个工作日）"),
            ("督办级别", f"第 {notice.level} 级 · {notice.label}")]
    y = pdf.labelled(c, font, rows, 20 * mm, 55 * mm, y, width - 75 * mm, 4 * mm)
    y -= 4 * mm
    demand = ("该问题已超过整改期限。请责任单位接到本督办单后立即组织整改，整改完成后上传整改照片并反馈，"
              "逾期未整改的将按规定通报并提级督办。")
    y = pdf.wrapped(c, font, demand, 20 * mm, y, width - 40 * mm) - 14 * mm
    for line in ("督办单位（盖章）：________________    签发人：____________    日期：____________",
                 "责任单位签收：____________________    签收人：____________    日期：____________"):
        c.setFont(font, 11)
        c.drawString(20 * mm, y, line)
        y -= 14 * mm
    c.setFont(font, 9)
    c.drawString(20 * mm, 15 * mm, f"河巡 RiverPatrol · 签发于 {notice.issued_at:%Y-%m-%d}")
    c.showPage()
    c.save()
    return ExportFile(f"dubandan-{case.case_no}-{notice.level}.pdf", PDF_MIME, buf.getvalue(), items=1)
