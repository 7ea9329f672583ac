"""Under libfaketime every process the suite starts must share the suite's clock.

The suite is run under libfaketime at chosen instants (a month's or a year's end, an hour where
the Asia/Shanghai day is not the UTC day). In libfaketime's "start at" form (``FAKETIME=@2027-03-01
16:30:00``) each new process starts at that instant again, so a server, a phone app or PostgreSQL
started ten minutes into the run would live ten minutes in the past of the tests that talk to it;
no real machine behaves like that. The suite therefore turns the "start at" form into the
equivalent offset from the real clock (read by a child without the preload) once, before anything
starts: this process goes on undisturbed and every child shares its clock.
"""
from __future__ import annotations

import os
import subprocess
import time


def share_fake_clock() -> float | None:
    """The offset (seconds) now in FAKETIME, or None when the suite is not under libfaketime's start-at form."""
    spec = os.environ.get("FAKETIME", "")
    if not spec.startswith("@") or "faketime" not in os.environ.get("LD_PRELOAD", ""):
        return None
    real_env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME", "FAKETIME_SHARED")}
    before = time.time()
    real = float(subprocess.run(["date", "+%s.%N"], env=real_env, capture_output=True, text=True,
                                check=True).stdout)
    offset = (before + time.time()) / 2 - real
    os.environ["FAKETIME"] = f"{offset:+.3f}"
    os.environ.pop("FAKETIME_SHARED", None)
    return offset


def real_clock_env(env: dict | None = None) -> dict:
    """The environment for a service that libfaketime breaks (redis-server stops in a recursive
    clock_gettime) and whose clock never reaches a record (Redis keeps relative expiries only)."""
    env = dict(os.environ if env is None else env)
    for key in ("LD_PRELOAD", "FAKETIME", "FAKETIME_SHARED"):
        env.pop(key, None)
    return env
