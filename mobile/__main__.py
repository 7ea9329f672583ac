"""`python -m mobile --server URL [--gpx FILE --speed N] [--data DIR]`: the field app.

On the desktop the GPS is a replayed GPX file; the camera is a file chooser.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

PHONE_DP = (360, 640)  # a common small phone: what every screen must fit


def default_server() -> str:
    """RIVERPATROL_SERVER, else the address the APK was built with (mobile/server.json: a county's build sets
    its server there; p4a passes no environment to the app)."""
    built = json.loads((Path(__file__).parent / "server.json").read_text(encoding="utf-8"))["server"]
    return os.environ.get("RIVERPATROL_SERVER", built)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mobile")
    parser.add_argument("--server", default=default_server())
    parser.add_argument("--gpx", help="GPX file to replay as the GPS (desktop)")
    parser.add_argument("--speed", type=float, default=1.0, help="replay speed factor")
    parser.add_argument("--data", help="where the app keeps its data (default: the phone's private files, or "
                                       "~/.riverpatrol on the desktop)")
    parser.add_argument("--device-id", default="desktop")
    args = parser.parse_args(argv)

    os.environ.setdefault("KIVY_NO_ARGS", "1")
    # On the desktop the window is a phone: 360 x 640 dp at KIVY_METRICS_DENSITY (1.5 unless set; the window
    # tests use a real phone's 2 and 2.75) and Android's text size as KIVY_METRICS_FONTSCALE (1.3, 1.5).
    # A real phone (p4a sets ANDROID_ARGUMENT) has its own density, font scale and full-screen window.
    from kivy.config import Config

    if "ANDROID_ARGUMENT" not in os.environ:
        os.environ.setdefault("KIVY_METRICS_DENSITY", "1.5")
        density = float(os.environ["KIVY_METRICS_DENSITY"])
        Config.set("graphics", "width", str(round(PHONE_DP[0] * density)))
        Config.set("graphics", "height", str(round(PHONE_DP[1] * density)))
    Config.set("kivy", "exit_on_escape", "0")
    from kivy.core.text import DEFAULT_FONT, LabelBase

    from .fonts import MISSING, app_font

    font = app_font()
    if font is None:
        print(MISSING, file=sys.stderr)
        return 3
    LabelBase.register(DEFAULT_FONT, font)
    print(f"font: {font}", flush=True)

    from .app import RiverPatrolApp
    from .controller import Controller
    from .platform.paths import data_dir

    app = RiverPatrolApp(Controller(data_dir(args.data), args.server, args.device_id), gpx=args.gpx, speed=args.speed)
    if os.environ.get("RIVERPATROL_UI_SCRIPT"):
        from .automation import attach

        attach(app, os.environ["RIVERPATROL_UI_SCRIPT"], os.environ.get("RIVERPATROL_SCREENSHOTS", "."))
    app.run()
    return getattr(app, "exit_code", 0)


if __name__ == "__main__":
    sys.exit(main())
