"""The phone's environment is the APK's: only what python-for-android builds, at the pinned versions, and
every module the app holds imports in it."""
from __future__ import annotations

import configparser
import importlib.metadata as md
import importlib.util
import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = sysconfig.get_paths()["purelib"]  # this venv only (the checkout holds the server's egg-info)
PINS = ROOT / "mobile" / "requirements-phone.txt"
RECIPES = {"kivy", "numpy", "pillow"}  # compiled for Android by python-for-android's own recipes
# p4a's recipe versions at the release buildozer.spec names (numpy's recipe version is its git tag)
RECIPE_VERSIONS = {"kivy": "2.3.1", "numpy": "v2.3.0", "pillow": "11.3.0", "pyjnius": "1.7.0"}
TOOLING = {"pytest", "pytest-xdist", "execnet", "iniconfig", "pluggy", "packaging", "pygments", "pip", "setuptools"}
KIVY_OWN = {"kivy-garden", "docutils", "pygments"}  # kivy's wheel asks for them; nothing of ours imports them
SERVER_ONLY = ("shapely", "pyproj", "flask", "sqlalchemy", "geoalchemy2", "marshmallow", "click", "gpxpy",
               "psycopg", "psycopg2", "werkzeug", "jinja2")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in PINS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[_norm(name)] = version
    return pins


# they import pyjnius: the APK's, or the harness's
ANDROID_ONLY = ("mobile.android_service", "mobile.platform.android", "mobile.platform.android_camera",
                "mobile.platform.android_voice", "mobile.platform.reminders")


def _modules() -> list[str]:
    names = ["main"]
    for package in ("mobile", "shared_models"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_module_of_the_app_imports_with_the_phones_packages_alone(display, tmp_path):
    device = tmp_path / "device"
    device.mkdir()
    (device / "device.json").write_text("{}")
    probe = ("import importlib, json, sys\n"
             f"for name in {[m for m in _modules() if m not in ANDROID_ONLY]!r}:\n"
             "    importlib.import_module(name)\n"
             f"sys.path.insert(0, {str(ROOT / 'phone_tests' / 'fake_android' / 'site')!r})  # pyjnius: the harness's\n"
             f"for name in {list(ANDROID_ONLY)!r}:\n"
             "    importlib.import_module(name)\n"
             f"print(json.dumps(sorted(m for m in {SERVER_ONLY!r} if m in sys.modules)))\n")
    env = {**os.environ, "DISPLAY": display, "KIVY_NO_ARGS": "1", "KIVY_HOME": str(tmp_path),
           "FAKE_ANDROID_DIR": str(device)}
    r = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads(r.stdout.strip().splitlines()[-1]) == []
    assert len(_modules()) > 40 and set(ANDROID_ONLY) <= set(_modules())  # the app as it is, not an empty walk


def test_nothing_of_the_server_is_installed():
    assert [m for m in SERVER_ONLY if importlib.util.find_spec(m) is not None] == []


def test_installed_packages_are_exactly_the_pins():
    pins = _pins()
    installed = {_norm(d.metadata["Name"]): d.version for d in md.distributions(path=[SITE])}
    assert {name: installed.get(name) for name in pins} == pins
    assert set(installed) - set(pins) - TOOLING - KIVY_OWN == set()
    assert set(pins) >= RECIPES


def test_only_the_recipes_carry_compiled_code():
    compiled = {}
    for dist in md.distributions(path=[SITE]):
        name = _norm(dist.metadata["Name"])
        if name in RECIPES or name in TOOLING:
            continue
        native = [str(f) for f in dist.files or () if f.suffix in (".so", ".pyd", ".dylib")]
        if native:
            compiled[name] = native
    assert compiled == {}  # a phone could not load them: p4a has no recipe to cross-compile them


def test_buildozer_spec_pins_the_same_versions():
    spec = configparser.ConfigParser()
    spec.read(ROOT / "buildozer.spec", encoding="utf-8")
    app = spec["app"]
    wanted = {_norm(n): v for n, v in _pins().items()}
    listed = {}
    for item in app["requirements"].split(","):
        name, _, version = item.strip().partition("==")
        listed[_norm(name)] = version
    assert listed.pop("python3") == ""
    for name, version in RECIPE_VERSIONS.items():
        assert listed.pop(name) == version, name
        wanted.pop(name, None)
    assert listed == wanted  # the pure-Python packages, at the venv's versions
    assert app["p4a.branch"] == "v2026.05.09"  # the release whose recipes declare RECIPE_VERSIONS
    assert "foregroundServiceType=location" in app["services"].split(":")
    assert (ROOT / app["android.add_src"] / "cn" / "riverpatrol" / "GnssWatch.java").exists()


def test_the_built_in_server_address_is_what_the_app_uses_without_one(monkeypatch):
    from mobile.__main__ import default_server

    monkeypatch.delenv("RIVERPATROL_SERVER", raising=False)
    built = json.loads((ROOT / "mobile" / "server.json").read_text())["server"]
    assert default_server() == built and built.startswith("http")
    monkeypatch.setenv("RIVERPATROL_SERVER", "https://hz.example.cn")
    assert default_server() == "https://hz.example.cn"
