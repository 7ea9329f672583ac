"""The app's core without a window.

- ``record``: replay a GPX into a store. Used by support, and by the crash tests, which kill it with
  SIGKILL mid-patrol and start it again: the same recorder, store and GPS code the app runs.
- ``analyze TRACK.gpx [--segments F] [--grid F] [--rule R ...] [--json]``: the phone's verdict on a track,
  from the phone's own packages; its JSON is ``riverpatrol track analyze --json``'s for the same files.
"""
from __future__ import annotations

import argparse
import signal
import sys
import threading

from shared_models.track.errors import TrackError
from shared_models.track.inputs import analyze_files, report, rule_with
from shared_models.track.verdict import PRESETS

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


def _figure(most: float | None):
    """An option's number: not negative, and at most ``most`` where there is a most."""
    def parse(text: str) -> float:
        value = float(text)
        if not value >= 0 or (most is not None and value > most):
            raise argparse.ArgumentTypeError(f"{text}: 0 - {most if most is not None else '...'}")
        return value
    return parse


def analyze_track(args: argparse.Namespace) -> int:
    rule = rule_with(args.rule, args.min_duration_min, args.min_distance_m, args.min_coverage, args.tolerance_m)
    try:
        result = analyze_files(args.track, args.segments, args.grid, rule)
    except TrackError as exc:
        print(f"错误 error: {exc.zh} / {exc.en} ({exc.code})", file=sys.stderr)
        return 1
    print(report(result, args.json))
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
    ana = sub.add_parser("analyze", help="the phone's verdict on a GPX track")
    ana.add_argument("track", metavar="TRACK.gpx")
    ana.add_argument("--segments", metavar="SEGMENTS.geojson", help="assigned river segments (lines, lon/lat)")
    ana.add_argument("--grid", metavar="GRID.geojson", help="the grid (areas, lon/lat)")
    ana.add_argument("--json", action="store_true", help="print one JSON object")
    ana.add_argument("--rule", choices=sorted(PRESETS), default="default")
    for name in ("--min-duration-min", "--min-distance-m", "--tolerance-m"):
        ana.add_argument(name, type=_figure(None))
    ana.add_argument("--min-coverage", type=_figure(1.0))
    args = parser.parse_args(argv)
    return analyze_track(args) if args.command == "analyze" else record(args)


if __name__ == "__main__":
    sys.exit(main())
