"""Payroll (补贴发放表): one row per inspector with Chinese headers, totals per township; CSV and XLSX."""
from __future__ import annotations

from decimal import Decimal

from ..xlsx import csv_bytes, workbook

HEADERS = ["乡镇(街道)", "网格", "巡查员", "手机号", "责任卡", "在岗天数", "应巡次数", "有效巡河次数", "考核得分",
           "考核等次", "应发金额(元)", "建议解聘", "更正", "计算说明"]
TOTAL_HEADERS = ["乡镇(街道)", "人数", "应发合计(元)", "建议解聘人数"]


def _yuan(fen: int) -> Decimal:
    """Money as a number with its two decimals ("800.00" in the CSV, a number the sheet can sum)."""
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def _score(score: float | None):
    if score is None:
        return ""
    return int(score) if float(score).is_integer() else round(score, 2)


def rows(lines: list[dict]) -> list[list]:
    out = []
    for x in lines:
        m = x.get("metrics") or {}
        why = "；".join([i["why"] for i in x.get("items", [])] + [p["why"] for p in x.get("pay_lines", [])])
        out.append([x.get("township") or "", x.get("grid", ""), x.get("name", ""), x.get("phone", ""),
                    "、".join(x.get("cards", [])), m.get("held_days", ""), m.get("required", ""), m.get("counted", ""),
                    _score(x.get("score")), x.get("tier_label") or x.get("tier") or "", _yuan(x["amount_fen"]),
                    "是" if x.get("dismissal") else "", f"#{x['corrected_by']}" if x.get("corrected_by") else "", why])
    return out


def total_rows(totals: dict) -> list[list]:
    out = [[t["township"] or "(未归属乡镇)", t["inspectors"], _yuan(t["amount_fen"]), t["dismissal"]]
           for t in totals["townships"]]
    out.append(["合计", totals["inspectors"], _yuan(totals["amount_fen"]),
                sum(t["dismissal"] for t in totals["townships"])])
    return out


def to_csv(title: str, lines: list[dict], totals: dict) -> bytes:
    return csv_bytes([[title], HEADERS, *rows(lines), [], TOTAL_HEADERS, *total_rows(totals)])


def to_xlsx(title: str, lines: list[dict], totals: dict) -> bytes:
    return workbook([("补贴明细", title, HEADERS, rows(lines)), ("乡镇合计", None, TOTAL_HEADERS, total_rows(totals))])
