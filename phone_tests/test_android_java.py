"""The Java the APK adds (buildozer.spec: android.add_src = mobile/android/java) compiles against Android's API
shape and forwards satellite status as the Python listener expects. Only a device runs it for real."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STUBS = Path(__file__).resolve().parent / "java_stubs"


def test_gnss_watch_counts_the_satellites_used_in_the_fix(tmp_path):
    javac, java = shutil.which("javac"), shutil.which("java")
    if not (javac and java):
        pytest.fail("javac and java are needed (scripts/bootstrap.sh installs a JDK)")
    sources = [*map(str, (ROOT / "mobile" / "android" / "java").rglob("*.java")), *map(str, STUBS.rglob("*.java"))]
    subprocess.run([javac, "-Xlint:all", "-Werror", "-d", str(tmp_path), *sources], check=True, capture_output=True)
    out = subprocess.run([java, "-cp", str(tmp_path), "GnssWatchCheck"], check=True, capture_output=True, text=True)
    assert out.stdout.splitlines() == ["satellites 4 6", "satellites 0 2", "stopped"]
