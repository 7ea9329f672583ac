"""A virtual screen for the app's real window."""
import pytest

from ..xvfb import virtual_screen


@pytest.fixture(scope="session")
def display():
    with virtual_screen() as value:
        yield value
