"""The phone's own test run: this interpreter must be the phone's venv, or the tests prove nothing."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.xvfb import virtual_screen

ROOT = Path(__file__).resolve().parent.parent
PHONE_VENV = ROOT / ".venv-phone"


def pytest_configure(config) -> None:
    if Path(sys.prefix).resolve() != PHONE_VENV.resolve():
        raise pytest.UsageError(f"phone_tests run in the phone's venv: {PHONE_VENV}/bin/python -m pytest phone_tests "
                                f"(this is {sys.prefix}); `make test` builds and uses it")


@pytest.fixture(scope="session")
def display():
    with virtual_screen() as value:
        yield value
