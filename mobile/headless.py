"""The app's recording core without a window: `python -m mobile.headless record ...`.

Used by support to replay a GPX into a store, and by the crash tests, which kill it with
SIGKILL mid-patrol and start it again: the same recorder, store and GPS code the app runs.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading

from .platform.gps import ReplayGps
from .recorder import PatrolRecorder
from .store import LocalStore


def record(args: argparse.Namespace) -> int:
    store = LocalStore(args.store)
    recorder = PatrolRecorder(store, args.user_id)
    uuid = recorder.resume_after_restart()
    resumed = uuid is not None
    if not resumed:
        uuid = recorder.start(args.card_id, [])
    print(f"patrol {uuid} {'resumed' if resumed else 'started'}", flush=True)
    done = threading.Event()

    def on_fix(fix: dict) -> None:
        recorder.on_fix(fix)
        print(f"fix {fix['t']:.3f}", flush=True)

    def on_status(status: str) -> None:
        if status == "gps_finished":
            done.set()

    def on_term(*_args) -> None:  # asked to stop (not killed): keep every fix received
        recorder.flush()
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_term)
    gps = ReplayGps(args.gpx, on_fix, on_status, speed=args.speed, skip_fixes=args.skip)
    gps.start()
    done.wait()
    if args.finish:
        recorder.finish({}, "")
        print(f"finalized {uuid}", flush=True)
    else:
        recorder.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mobile.headless")
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="record a patrol from a replayed GPX")
    rec.add_argument("--store", required=True)
    rec.add_argument("--gpx", required=True)
    rec.add_argument("--user-id", type=int, required=True)
    rec.add_argument("--card-id", type=int, required=True)
    rec.add_argument("--speed", type=float, default=1.0)
    rec.add_argument("--skip", type=int, default=0, help="fixes of the file already recorded")
    rec.add_argument("--finish", action="store_true")
    args = parser.parse_args(argv)
    return record(args)


if __name__ == "__main__":
    sys.exit(main())
