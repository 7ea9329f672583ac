"""A window about to close unmet is reminded with the app closed: on the fake Android device the phone schedules
WorkManager work for 09:00 on the window's last two days, from the counts of the last sync (offline too); a
schedule is not doubled, a window met since takes its reminders back, and one that already went off is not said
again. What the worker posts at its time is checked in Java (test_android_java.py)."""
from __future__ import annotations

import datetime as dt
import json

from mobile.controller import Controller
from shared_models.clock import local_midnight, local_today, timestamp

from .test_permissions import device  # noqa: F401  (the fake device)


def _phone(path, monkeypatch, remaining: int, window_end: dt.date) -> Controller:
    monkeypatch.setenv("RIVERPATROL_PLATFORM", "android")
    (path / "device.json").write_text(json.dumps({"sdk": 34}))
    c = Controller(path / "files", "http://127.0.0.1:9", device_id="fake-android-reminders")
    c.store.save_account({"id": 7, "phone": "13900000101", "name": "刘德明", "role": "inspector"},
                         "http://127.0.0.1:9", "refresh", "session")
    c = Controller(path / "files", "http://127.0.0.1:9", device_id="fake-android-reminders")
    _counts(c, remaining, window_end)
    return c


def _counts(c: Controller, remaining: int, window_end: dt.date) -> None:
    """What the last sync said of the card's window (``compliance``), kept on the phone."""
    c.store.save_cards(7, {"cards": [{"id": 1, "card_no": "WY-001", "compliance": {
        "active": True, "label": "本周", "window": "week", "required": 2, "counted": 2 - remaining,
        "remaining": remaining, "window_end": window_end.isoformat()}}]})


def _work(path) -> dict:
    return json.loads((path / "work.json").read_text()) if (path / "work.json").exists() else {}


def _enqueued(path) -> list[dict]:
    return [json.loads(line) for line in (path / "log.jsonl").read_text().splitlines() if '"work.enqueue"' in line]


def test_the_last_two_days_are_scheduled_once_and_taken_back_when_the_window_is_met(device, monkeypatch):  # noqa: F811
    from mobile.platform import reminders

    path = device()
    today = local_today()
    tomorrow = today + dt.timedelta(days=1)
    c = _phone(path, monkeypatch, remaining=1, window_end=tomorrow)
    before = timestamp()
    c.schedule_reminders(reminders)
    work = _work(path)
    names = {f"remind:7:WY-001:{d.isoformat()}": d for d in (today, tomorrow)}
    assert set(work) == set(names)
    for name, day in names.items():
        nine = (local_midnight(day) + dt.timedelta(hours=9)).timestamp()
        # at 09:00 that day; today's at once when 09:00 is past (the app was opened later)
        assert abs(work[name]["delay_ms"] / 1000 - max(0.0, nine - before)) < 5, name
        assert work[name]["worker"] == "cn.riverpatrol.ReminderWorker"
        assert work[name]["tags"] == ["riverpatrol-reminder"]
        assert work[name]["data"]["title"] == "巡河提醒"
    weekday = "一二三四五六日"[tomorrow.weekday()]
    assert work[f"remind:7:WY-001:{today.isoformat()}"]["data"]["text"] == f"本周还需巡河 1 次，周{weekday}截止"
    assert work[f"remind:7:WY-001:{tomorrow.isoformat()}"]["data"]["text"] == "本周还需巡河 1 次，今天截止"
    assert len({w["data"]["id"] for w in work.values()}) == 2  # two notifications, not one overwriting the other
    # after the next sync with the same counts: nothing scheduled again
    c.schedule_reminders(reminders)
    assert len(_enqueued(path)) == 2
    # the inspector patrolled and the sync says the window is met: both reminders are taken back
    _counts(c, 0, tomorrow)
    c.schedule_reminders(reminders)
    assert _work(path) == {}


def test_a_count_that_changes_moves_a_future_reminder_but_does_not_repeat_one_that_went_off(device, monkeypatch):  # noqa: F811
    from mobile.platform import reminders

    path = device()
    today = local_today()
    end = today + dt.timedelta(days=1)
    c = _phone(path, monkeypatch, remaining=2, window_end=end)
    c.schedule_reminders(reminders)
    went_off = _work(path)[f"remind:7:WY-001:{today.isoformat()}"]["delay_ms"] == 0  # past 09:00 today
    _counts(c, 1, end)  # one patrol more, synced
    c.schedule_reminders(reminders)
    texts = [e["data"]["text"] for e in _enqueued(path)]
    closes = f"周{'一二三四五六日'[end.weekday()]}截止"
    assert texts[:2] == [f"本周还需巡河 2 次，{closes}", "本周还需巡河 2 次，今天截止"]
    # tomorrow's says the new count; today's is moved too if it is still to come, and not said twice if it went off
    assert texts[2:] == (["本周还需巡河 1 次，今天截止"] if went_off else
                         [f"本周还需巡河 1 次，{closes}", "本周还需巡河 1 次，今天截止"])
