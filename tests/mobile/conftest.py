"""A virtual screen for the app's real window."""
import os
import subprocess

import pytest


@pytest.fixture(scope="session")
def display():
    """An Xvfb server owned by the test run; yields the DISPLAY value."""
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "540x960x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as fh:
        number = fh.readline().strip()
    yield f":{number}"
    proc.terminate()
    proc.wait(timeout=10)
