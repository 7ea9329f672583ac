"""The phone's own test run: this interpreter must be the phone's venv, or the tests prove nothing."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.xvfb import virtual_screen

ROOT = Path(__file__).resolve().parent.parent
PHONE_VENV = ROOT / ".venv-phone"


def pytest_configure(config) -> None:
    if Path(sys.prefix).resolve() != PHONE_VENV.resolve():
        raise pytest.UsageError(f"phone_tests run in the phone's venv: {PHONE_VENV}/bin/python -m pytest phone_tests "
                                f"(this is {sys.prefix}); `make test` builds and uses it")


@pytest.fixture(scope="session")
def display():
    with virtual_screen("1080x1920x24") as value:
        yield value


SERVER_BIN = ROOT / ".venv" / "bin" / "riverpatrol"
DEMO_PASSWORD = "Demo@2026"


class County:
    """The county's server, as `make run` serves it (the embedded database with the demo county), reached by
    the phone over HTTP only: the phone's venv holds nothing of the server."""

    def __init__(self, base: str, proc: subprocess.Popen, env: dict) -> None:
        self.base, self.proc, self.env = base, proc, env

    def command(self, *args: str) -> subprocess.CompletedProcess:
        """`riverpatrol ...` on the county's database, as its administrator would run it."""
        return subprocess.run([str(SERVER_BIN), *args], env=self.env, capture_output=True, text=True, timeout=120)

    def token(self, phone: str) -> str:
        r = requests.post(f"{self.base}/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD,
                                                                  "device_id": "phone-test"}, timeout=20)
        r.raise_for_status()
        return r.json()["access_token"]

    def get(self, path: str, phone: str) -> requests.Response:
        return requests.get(f"{self.base}/api/v1{path}", headers={"Authorization": f"Bearer {self.token(phone)}"},
                            timeout=20)


@pytest.fixture(scope="session")
def county(tmp_path_factory):
    if not SERVER_BIN.exists():
        raise pytest.UsageError(f"the server's venv is missing ({SERVER_BIN}): `bash scripts/bootstrap.sh test`")
    home = tmp_path_factory.mktemp("county")
    env = {**os.environ, "RIVERPATROL_DATABASE_URL": f"sqlite:///{home / 'county.sqlite'}",
           "RIVERPATROL_INSTANCE": str(home), "RIVERPATROL_PASSWORD_TIME_COST": "1",
           "RIVERPATROL_PASSWORD_MEMORY_KIB": "1024"}
    for args in (("db", "upgrade"), ("demo", "load")):
        subprocess.run([str(SERVER_BIN), *args], env=env, check=True, capture_output=True, timeout=300)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with open(home / "serve.log", "w") as log:
        proc = subprocess.Popen([str(SERVER_BIN), "serve", "--port", str(port)], env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{base}/api/v1/health", timeout=2)
            break
        except requests.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError((home / "serve.log").read_text()[-3000:]) from None
            time.sleep(0.1)  # the server is starting
    yield County(base, proc, env)
    proc.terminate()
    proc.wait(timeout=10)
