"""A virtual screen for the app's real window (Xvfb), for the server's and the phone's test runs alike."""
from __future__ import annotations

import contextlib
import os
import subprocess


@contextlib.contextmanager
def virtual_screen(size: str = "540x960x24"):
    """An Xvfb server owned by the caller; yields the DISPLAY value."""
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as fh:
        number = fh.readline().strip()
    try:
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
