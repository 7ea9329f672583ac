"""The Java the APK adds (buildozer.spec: android.add_src = mobile/android/java) compiles against Android's API
shape (phone_tests/java_stubs), forwards satellite status as the Python listener expects, and posts a scheduled
reminder. Only a device runs it for real."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STUBS = Path(__file__).resolve().parent / "java_stubs"


def _compiled(tmp_path) -> str:
    javac, java = shutil.which("javac"), shutil.which("java")
    if not (javac and java):
        pytest.fail("javac and java are needed (scripts/bootstrap.sh installs a JDK)")
    sources = [*map(str, (ROOT / "mobile" / "android" / "java").rglob("*.java")), *map(str, STUBS.rglob("*.java"))]
    subprocess.run([javac, "-encoding", "UTF-8", "-Xlint:all", "-Werror", "-d", str(tmp_path), *sources], check=True,
                   capture_output=True)
    return java


def test_gnss_watch_counts_the_satellites_used_in_the_fix(tmp_path):
    java = _compiled(tmp_path)
    out = subprocess.run([java, "-cp", str(tmp_path), "GnssWatchCheck"], check=True, capture_output=True, text=True)
    assert out.stdout.splitlines() == ["satellites 4 6", "satellites 0 2", "stopped"]


def test_a_scheduled_reminder_is_posted_on_the_apps_message_channel_and_opens_the_app(tmp_path):
    """What WorkManager runs at the reminder's time, with the app closed: the notification is made in Java (Python
    may not be running), on the channel the app's own messages use, immutable, opening the app when tapped."""
    java = _compiled(tmp_path)
    out = subprocess.run([java, "-cp", str(tmp_path), "ReminderWorkerCheck"], check=True, capture_output=True)
    assert out.stdout.decode("utf-8").splitlines() == [
        "channel messages 任务和审核结果 3",  # Android 8+: the channel first (mobile/platform/android.py's)
        "notify 207 messages 巡河提醒：本周还需巡河 1 次，周日截止 icon 42 cancel true opens cn.riverpatrol.riverpatrol"
        " flags 67108864", "success",
        "notify 207 null 巡河提醒：本周还需巡河 1 次，周日截止 icon 42 cancel true opens cn.riverpatrol.riverpatrol"
        " flags 67108864", "success",  # Android 7: no channels
        "failure"]  # nothing to say: nothing posted
