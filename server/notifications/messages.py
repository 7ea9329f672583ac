"""What each event says, in plain Chinese: a title that stands alone (an SMS carries only it) and a body with the
details. Each message carries its dedupe key: the event it tells of, so a recipient hears of it once."""
from __future__ import annotations

import datetime as dt

from shared_models.clock import LOCAL_TZ
from shared_models.enums import PROBLEM_CATEGORIES

from ..cases.models import Case, CaseEvent, EscalationNotice
from .inbox import Message


def day(value: dt.date | str | None) -> str:
    """12月10日"""
    if value is None:
        return "—"
    value = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return f"{value.month}月{value.day}日"


def _about(case: Case) -> str:
    category = PROBLEM_CATEGORIES.get(case.category, (case.category,))[0]
    text = (case.problem.description or "").strip()
    return f"{category}{'：' + text[:80] if text else ''}（{case.grid.name}）"


def _case(kind: str, case: Case, event: CaseEvent, title: str, body: str) -> Message:
    return Message(kind, title, body, f"{kind}:case-event:{event.id}", "case", case.case_no)


def assigned(case: Case, event: CaseEvent, to_unit: bool) -> Message:
    whom = "您单位" if to_unit else "您"
    verb = {"approve_transfer": "转交", "reopen": "重新交办"}.get(event.action, "交办")
    deadline = case.deadline.isoformat() if case.deadline else "—"
    title = f"问题 {case.case_no} 已{verb}给{whom}，请在 {day(case.deadline)} 前整改"
    return _case("case_assigned", case, event, title,
                 f"{_about(case)}。整改期限 {deadline}，整改后请上传整改照片。")


def recheck_due(case: Case, event: CaseEvent) -> Message:
    who = case.assignee_unit.name if case.assignee_unit else (case.assignee.name if case.assignee else "责任单位")
    return _case("recheck_due", case, event, f"问题 {case.case_no} 已整改完成，请到现场复核",
                 f"{who}已报整改完成：{_about(case)}。请到现场复核，并在手机上提交复核结果。")


def recheck_failed(case: Case, event: CaseEvent) -> Message:
    return _case("case_recheck_failed", case, event, f"问题 {case.case_no} 复核不通过，请继续整改",
                 f"{_about(case)}。复核意见：{event.note or '—'}")


def request(case: Case, event: CaseEvent, who: str) -> Message:
    asked = event.evidence or {}
    title = {"return": f"{who}退回了问题 {case.case_no}，请重新交办",
             "request_extension": f"{who}申请问题 {case.case_no} 延期 {asked.get('working_days')} 个工作日，请审批",
             "request_transfer": f"{who}申请将问题 {case.case_no} 转办给{asked.get('unit')}，请审批"}[event.action]
    return _case("case_request", case, event, title, f"{_about(case)}。理由：{event.note or '—'}")


def answer(case: Case, event: CaseEvent) -> Message:
    asked = event.evidence or {}
    title = {"approve_extension": f"问题 {case.case_no} 的延期申请已同意，新的整改期限 {day(asked.get('deadline'))}",
             "refuse_extension": f"问题 {case.case_no} 的延期申请未获同意",
             "approve_transfer": f"问题 {case.case_no} 的转办申请已同意，已转交{asked.get('unit')}",
             "refuse_transfer": f"问题 {case.case_no} 的转办申请未获同意"}[event.action]
    return _case("case_answer", case, event, title, f"{_about(case)}。审批意见：{event.note or '—'}")


def escalation(notice: EscalationNotice) -> Message:
    case = notice.case
    pdf = f"/api/v1/cases/{case.case_no}/notices/{notice.id}.pdf"
    late = notice.overdue_working_days
    return Message("escalation", f"督办：问题 {case.case_no} 已超期 {late} 个工作日（{notice.label}）",
                   f"督办单 {notice.number}：{notice.responsible}负责整改的问题 {case.case_no}，{_about(case)}，"
                   f"整改期限 {notice.deadline.isoformat()}，已超期 {late} 个工作日，"
                   f"现第 {notice.level} 级{notice.label}。请立即组织整改，完成后上传整改照片。",
                   f"notice:{notice.id}", "case", case.case_no, pdf)


def deadline_tomorrow(case: Case) -> Message:
    return Message("deadline_tomorrow", f"问题 {case.case_no} 的整改期限是 {day(case.deadline)}，请抓紧整改",
                   f"{_about(case)}。整改期限 {case.deadline.isoformat()}（下一个工作日）到期，逾期将督办。",
                   f"deadline:{case.case_no}:{case.deadline.isoformat()}", "case", case.case_no)


def patrol_rejected(patrol, grid_name: str, note: str) -> Message:
    started = patrol.started_at.astimezone(LOCAL_TZ)
    return Message("patrol_rejected", f"您 {day(started.date())} 的巡河记录被驳回",
                   f"您 {started:%Y-%m-%d %H:%M} 开始在{grid_name}的巡河被驳回，不计入考核。理由：{note or '—'}",
                   f"patrol-rejected:{patrol.uuid}:{patrol.reviewed_at.isoformat() if patrol.reviewed_at else ''}",
                   "patrol", patrol.uuid)


def window_closing(card, done: dict) -> Message:
    end = dt.date.fromisoformat(done["window_end"])
    return Message("window_closing", f"{done['label']}还差 {done['remaining']} 次巡河，{day(end)} 截止",
                   f"责任卡 {card.card_no}（{card.grid.name}）：{done['text']}，{end.isoformat()} 截止，"
                   "请尽快完成巡河。",
                   f"window:{card.card_no}:{done['window_start']}", "card", card.card_no)
