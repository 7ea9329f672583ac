"""The console's forms, loaded through the API's own schemas: the same rules for a form as for a JSON
body (an 11-digit phone, a password of 8 or more, ids and dates the database can hold), and the
errors said in Chinese on the page. A refused form writes nothing."""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import render_template
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import MultiDict

from shared_models.errors import message

from ..errors import ApiError
from ..schemas import Int
from ..text import plain_line
from ..transaction import unit_of_work

LABELS = {
    "phone": "手机号", "name": "名称", "role": "角色", "org_unit_id": "所属单位", "password": "密码", "active": "状态",
    "inspector_id": "巡查员", "supervisor_id": "网格长", "grid_id": "网格", "segment_ids": "河段",
    "valid_from": "生效日期", "valid_to": "结束日期", "effective_from": "生效日期", "duties": "职责", "reason": "原因",
    "action": "操作", "assignee_id": "责任人", "assignee_unit_id": "责任单位", "rechecker_id": "复核人",
    "base_version": "案件版本", "client_uuid": "操作编号", "at": "时间", "lon": "经度", "lat": "纬度", "note": "说明",
    "photo_uuids": "照片", "refusal": "不予受理原因", "window": "窗口", "min_count": "次数", "count_mode": "计数方式",
    "count_per": "计数单位", "grid_level": "网格层级", "min_gap_hours": "最小间隔（小时）", "active_months": "生效月份",
    "rolling_days": "滚动天数", "overrides": "预警加密", "period": "月份", "kind": "类别", "id": "编号",
    "duty": "职务", "assistant_id": "代巡人", "counts_delegated": "代巡计入",
}
# marshmallow's own messages (English), in Chinese; our validators already speak Chinese ("中文 / English")
_ZH = [(re.compile(pattern), zh) for pattern, zh in (
    (r"Missing data for required field\.|Field may not be null\.", "必填"),
    (r"Not a valid integer\.", "应为整数"),
    (r"Not a valid number\.|Special numeric values .*", "应为数字"),
    (r"Number too large\.", "数值过大"),
    (r'Not a valid date\.|".*" cannot be formatted as a date\.', "应为日期（年-月-日）"),
    (r"Not a valid (aware |naive )?datetime\.", "应为日期时间"),
    (r"Not a valid UUID\.", "编号格式有误"),
    (r"Not a valid boolean\.", "应为是或否"),
    (r"Must be one of: (.*)\.", r"须为以下之一：\1"),
    (r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.", r"须在 \1 至 \2 之间"),
    (r"Must be greater than or equal to (\S+)\.", r"不能小于 \1"),
    (r"Must be less than or equal to (\S+)\.", r"不能大于 \1"),
    (r"Length must be between 1 and (\d+)\.", r"必填，且不超过 \1 个字"),
    (r"Length must be between (\d+) and (\d+)\.", r"长度须在 \1 至 \2 个字之间"),
    (r"Shorter than minimum length (\d+)\.", r"至少 \1 个字"),
    (r"Longer than maximum length (\d+)\.", r"不能超过 \1 个字"),
    (r"Unknown field\.", "不应提交此项"),
)]
_CJK = re.compile(r"[\u4e00-\u9fff]")


def zh(text: str) -> str:
    """A validation message in Chinese: ours keep their Chinese half, marshmallow's are translated."""
    text = str(text)
    if _CJK.search(text):
        return text.split(" / ")[0]
    for pattern, chinese in _ZH:
        if pattern.fullmatch(text):
            return pattern.sub(chinese, text)
    return "填写有误"


def describe(errors, labels: dict | None = None) -> str:
    """``{field: [message]}`` (nested for lists and sub-forms) as one line of Chinese:
    "手机号：手机号应为11位；密码：至少 8 个字"."""
    names = {**LABELS, **(labels or {})}
    out: list[str] = []

    def walk(node, where: str) -> None:
        if isinstance(node, dict):
            for key, sub in node.items():
                if isinstance(key, int):
                    walk(sub, f"{where}第 {key + 1} 项")
                else:
                    walk(sub, where if key == "_schema" else names.get(key, key))
        elif isinstance(node, list | tuple):
            for sub in node:
                walk(sub, where)
        else:
            line = zh(node)
            if line not in out and f"{where}：{line}" not in out:
                out.append(f"{where}：{line}" if where else line)

    walk(errors, "")
    return "；".join(out)


def load(schema: Schema, form: MultiDict, *, split: dict[str, str] | None = None, defaults: dict | None = None,
         keep_spaces: tuple[str, ...] = ("password",)) -> dict:
    """The form as the schema loads it: only the schema's fields (the CSRF token and buttons are not
    data); a blank field is a field not given (its default, or "必填"); a list field from its
    repeated values (a multiple select), or from one text cut by the pattern in ``split``."""
    raw = dict(defaults or {})
    for name, field in schema.load_fields.items():
        key = field.data_key or name
        if isinstance(field, fields.List):
            values = form.getlist(key)
            if split and key in split:
                values = [part for value in values for part in re.split(split[key], value)]
            values = [v.strip() for v in values if v.strip()]
            if values:
                raw[key] = values
        elif form.get(key, "").strip():
            raw[key] = form[key] if key in keep_spaces else form[key].strip()
    return schema.load(raw)


@dataclass
class Outcome:
    value: object = None
    error: str | None = None
    status: int = 200


def attempt(action, *args, labels: dict | None = None, **kwargs) -> Outcome:
    """Run a form's action (load, then the service) as one transaction: its result, committed, or the
    refusal in Chinese with its status (422 for a form's mistake), with whatever it had begun rolled back."""
    try:
        with unit_of_work():
            return Outcome(action(*args, **kwargs))
    except ValidationError as exc:
        return Outcome(error=describe(exc.messages, labels), status=422)
    except ApiError as exc:
        return Outcome(error=api_error_text(exc, labels), status=exc.status)


def api_error_text(exc: ApiError, labels: dict | None = None) -> str:
    if isinstance(exc.errors, dict) and exc.errors:
        return describe(exc.errors, labels)
    return exc.message[0] if exc.message else message(exc.code)[0]


def refused(outcome: Outcome):
    """The error page for a refused form that has no page of its own."""
    return render_template("console/error.html", code=outcome.status, zh=outcome.error, en=""), outcome.status


class GridRenameForm(Schema):
    """An administrator corrects a grid's or a segment's name (codes and shapes come by import)."""
    kind = fields.String(required=True, validate=validate.OneOf(["grid", "segment"]))
    id = Int(required=True)
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100), plain_line])
