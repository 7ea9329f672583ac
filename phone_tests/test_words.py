"""What the phone says, from the rule in force and the last sync's counts: the real rules of domain.md in plain
Chinese, what a patrol still lacks, the reminder before a window closes (on dates pinned here: the suite runs on
any date), and errors in words a person can act on."""
from __future__ import annotations

import datetime as dt
import re

from mobile.api_client import ApiFailure
from mobile.words import error_text, goals, reminder_text, rule_text, still_needed
from shared_models.track.verdict import PRESETS, empty_result

WEEK = {"active": True, "remaining": 1, "label": "本周", "window": "week", "window_end": "2026-12-06",
        "required": 1, "counted": 0, "text": "本周 已巡 0/1 次"}


def test_the_rules_of_real_counties_in_plain_words():
    assert rule_text(PRESETS["akqi-2022"]) == "每次至少 30 分钟、2.0 公里"
    assert rule_text(PRESETS["sixian-dinghu"]) == "每次至少 5 分钟、300 米"
    assert rule_text(PRESETS["jingan-jiangxi"]) == "每次至少 15 分钟、1.0 公里（在责任河段上）"
    assert rule_text(PRESETS["default"]) == "每次至少 10 分钟、1.0 公里，走到责任河段的 30%"
    assert rule_text(PRESETS["haining"]) == "每次至少 4 分钟"


def test_what_a_patrol_still_lacks_against_akqis_rule():
    rule = PRESETS["akqi-2022"]
    result = empty_result(rule, [])
    result.duration_s, result.distance_m, result.coverage = 18 * 60 + 20, 1200.0, None
    bars = goals(result, rule)
    assert [(g.name, g.text) for g in bars] == [("时长", "18 分钟，要求 30 分钟"), ("距离", "1.2 公里，要求 2.0 公里")]
    assert [round(g.fraction, 2) for g in bars] == [0.61, 0.6]
    assert still_needed(result, rule) == "还差 12 分钟、800 米"
    result.duration_s, result.distance_m, result.valid = 31 * 60, 2100.0, True
    assert still_needed(result, rule) == "已达到有效巡河要求"


def test_a_reminder_the_day_before_a_week_closes_and_on_its_last_day():
    assert reminder_text(WEEK, dt.date(2026, 12, 4)) is None  # Friday: two days left
    assert reminder_text(WEEK, dt.date(2026, 12, 5)) == "本周还需巡河 1 次，周日截止"
    assert reminder_text(WEEK, dt.date(2026, 12, 6)) == "本周还需巡河 1 次，今天截止"
    assert reminder_text(WEEK, dt.date(2026, 12, 7)) is None  # over: the next sync brings the new week
    assert reminder_text({**WEEK, "remaining": 0}, dt.date(2026, 12, 6)) is None  # met
    month = {**WEEK, "label": "本月", "window": "month", "window_end": "2026-12-31", "remaining": 2}
    assert reminder_text(month, dt.date(2026, 12, 30)) == "本月还需巡河 2 次，12月31日截止"


def test_errors_in_words_a_person_can_act_on():
    assert error_text(ApiFailure("x", code="auth.invalid_credentials", status=401)) == "手机号或密码错误"
    assert error_text(ApiFailure("网络不通")) == "连不上服务器，请检查网络后再试"
    assert error_text(ApiFailure("x", status=503)) == "服务暂时不可用，请稍后再试（数据已保留）"
    for text in (error_text(ApiFailure("ConnectionError: boom", status=418)), error_text(ValueError("boom"))):
        assert not re.search(r"[A-Za-z]", text)


def test_the_reminder_is_said_once_a_day_offline(tmp_path):
    from mobile.controller import Controller

    c = Controller(tmp_path / "phone", "http://127.0.0.1:9")  # nothing listens there: offline
    c.store.save_account({"id": 7, "name": "刘德明", "phone": "13900000101", "role": "inspector"},
                         "http://127.0.0.1:9", "refresh", "session")
    c.store.save_cards(7, {"cards": [{"id": 1, "card_no": "610112010001-01", "compliance": WEEK}]})
    saturday = dt.date(2026, 12, 5)
    assert c.reminders(saturday) == ["本周还需巡河 1 次，周日截止"]
    assert c.reminders(saturday) == []  # once a day
    assert c.reminders(dt.date(2026, 12, 6)) == ["本周还需巡河 1 次，今天截止"]
