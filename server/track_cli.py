"""`track` commands: the patrol analysis the phone and the server run, on a GPX file.

No Flask app and no database: ``riverpatrol track analyze`` once registered on the main group, or
``python -m server.track_cli analyze TRACK.gpx`` on its own. The phone's ``python -m mobile.headless
analyze`` reads the same files through the same ``shared_models.track.inputs`` and prints the same verdict.
Bad input exits with status 1 and a Chinese / English message on stderr (never a traceback).
"""
from __future__ import annotations

import click

from shared_models.track import TrackError
from shared_models.track.inputs import analyze_files, report, rule_with
from shared_models.track.verdict import PRESETS


class BadInput(click.ClickException):
    """Exit 1 with ``zh / en (code)`` on stderr."""

    exit_code = 1

    def __init__(self, zh: str, en: str, code: str | None = None) -> None:
        super().__init__(f"{zh} / {en}" + (f" ({code})" if code else ""))

    def show(self, file=None) -> None:
        click.echo(f"错误 error: {self.message}", err=True)


@click.group("track")
def track() -> None:
    """Analyse tracks exactly as the server and the phone do (no database needed)."""


@track.command("analyze")
@click.argument("gpx_path", metavar="TRACK.gpx")
@click.option("--segments", "segments_path", metavar="SEGMENTS.geojson",
              help="Assigned river segments: GeoJSON LineStrings in WGS84 lon/lat.")
@click.option("--grid", "grid_path", metavar="GRID.geojson", help="The grid: GeoJSON Polygons in WGS84 lon/lat.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--rule", "preset", type=click.Choice(sorted(PRESETS)), default="default", show_default=True,
              help="A validity rule of domain.md; the options below override its figures.")
@click.option("--min-duration-min", type=click.FloatRange(min=0), help="Minimum duration in minutes.")
@click.option("--min-distance-m", type=click.FloatRange(min=0), help="Minimum distance in metres.")
@click.option("--min-coverage", type=click.FloatRange(0, 1), help="Minimum share of the segments covered.")
@click.option("--tolerance-m", type=click.FloatRange(min=0), help="Distance from a segment that still covers it.")
def analyze_command(gpx_path: str, segments_path: str | None, grid_path: str | None, as_json: bool, preset: str,
                    min_duration_min: float | None, min_distance_m: float | None, min_coverage: float | None,
                    tolerance_m: float | None) -> None:
    """Measure and judge a GPX 1.0/1.1 track: distance, time, coverage, validity, flags."""
    rule = rule_with(preset, min_duration_min, min_distance_m, min_coverage, tolerance_m)
    try:
        result = analyze_files(gpx_path, segments_path, grid_path, rule)
    except TrackError as exc:
        raise BadInput(exc.zh, exc.en, exc.code) from None
    click.echo(report(result, as_json))


if __name__ == "__main__":
    track(prog_name="python -m server.track_cli")
