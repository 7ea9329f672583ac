"""The ``riverpatrol`` command: serve, db (Flask-Migrate), demo data, imports."""
from __future__ import annotations

import json
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from .errors import ApiError


def _create_app(*_args) -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """RiverPatrol 河巡 server."""


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Serve the API (threaded HTTP server)."""
    from werkzeug.serving import run_simple

    click.echo(f"RiverPatrol serving on http://{host}:{port}  (API: /api/v1/openapi.json)")
    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)


def _fail(exc: ApiError) -> None:
    from .errors import error_body

    click.echo(json.dumps(error_body(exc.code, exc.errors), ensure_ascii=False, indent=2), err=True)
    sys.exit(1)


def _read_json(fh) -> object:
    try:
        return json.load(fh)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        click.echo(f"文件不是有效的 JSON / the file is not valid JSON: {exc}", err=True)
        sys.exit(1)


@main.group("import")
def import_group() -> None:
    """Import grids and river segments from GeoJSON (all or nothing)."""


@import_group.command("grids")
@click.argument("path", type=click.File("rb"))
@click.option("--repair", is_flag=True, help="Fix invalid polygons with make_valid.")
@with_appcontext
def import_grids(path, repair: bool) -> None:
    from .grids.importer import import_grids as run

    try:
        result = run(_read_json(path), actor=None, levels=current_app.config["ORG_LEVELS"], repair=repair)
    except ApiError as exc:
        _fail(exc)
    click.echo(json.dumps(result, ensure_ascii=False))


@import_group.command("segments")
@click.argument("path", type=click.File("rb"))
@with_appcontext
def import_segments(path) -> None:
    from .grids.importer import import_segments as run

    try:
        result = run(_read_json(path), actor=None)
    except ApiError as exc:
        _fail(exc)
    click.echo(json.dumps(result, ensure_ascii=False))


@main.group("demo")
def demo_group() -> None:
    """The demo county (未央区 in Xi'an, with real rivers)."""


@demo_group.command("load")
@with_appcontext
def demo_load() -> None:
    """Load the demo county unless it is there already."""
    from .demo import load_demo

    created = load_demo()
    click.echo("demo county loaded / 演示数据已加载" if created else "demo county already present / 演示数据已存在")


@demo_group.command("accounts")
@with_appcontext
def demo_accounts() -> None:
    """Print the demo accounts."""
    from .demo import demo_accounts as accounts

    click.echo("演示账号 Demo accounts (角色 role, 手机号 phone, 密码 password, 姓名 name, 网格 grid):")
    for role, phone, name, unit, password in accounts():
        click.echo(f"  {role:<10} {phone}  {password}  {name}  {unit}")


@main.group("track", cls=click.Group)
def track_group() -> None:
    """Analyse tracks exactly as the server and the phone do (no database needed)."""


@track_group.command("analyze")
@click.argument("gpx_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--segments", "segments_path", type=click.Path(exists=True, dir_okay=False),
              help="GeoJSON with the assigned river segments (LineStrings, WGS84).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--min-duration-min", type=float, default=10.0, show_default=True)
@click.option("--min-distance-m", type=float, default=1000.0, show_default=True)
@click.option("--min-coverage", type=float, default=0.3, show_default=True)
@click.option("--tolerance-m", type=float, default=30.0, show_default=True)
def track_analyze(gpx_path, segments_path, as_json, min_duration_min, min_distance_m, min_coverage,
                  tolerance_m) -> None:
    """Measure and judge a GPX 1.0/1.1 track: distance, time, coverage, validity, flags."""
    from pathlib import Path

    from shapely.geometry import shape

    from shared_models.track import TrackError
    from shared_models.track.analysis import ValidityRule, analyze
    from shared_models.track.gpx import read_gpx

    try:
        track = read_gpx(Path(gpx_path).read_bytes())
        segments = None
        if segments_path:
            with open(segments_path, "rb") as fh:
                doc = _read_json(fh)
            feats = doc.get("features", [doc]) if isinstance(doc, dict) else []
            segments = [shape(f.get("geometry", f)) for f in feats]
            if not segments or any(s.geom_type not in ("LineString", "MultiLineString") for s in segments):
                raise click.UsageError("--segments must hold LineStrings / 河段文件须为线要素")
    except TrackError as exc:
        click.echo(f"{exc.zh} / {exc.en} ({exc.code})", err=True)
        sys.exit(1)
    rule = ValidityRule(min_duration_s=min_duration_min * 60, min_distance_m=min_distance_m,
                        min_coverage=min_coverage, tolerance_m=tolerance_m, version="cli")
    result = analyze(track, segments=segments, rule=rule)
    out = result.to_dict()
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    click.echo(f"轨迹点 fixes: {result.fixes} (有效 kept {result.kept_fixes})")
    click.echo(f"时长 duration: {result.duration_s / 60:.1f} min, 移动 moving {result.moving_s / 60:.1f} min")
    click.echo(f"距离 distance: {result.distance_m:.0f} m, 最高速度 max speed {result.max_speed_mps * 3.6:.1f} km/h")
    if result.coverage is not None:
        click.echo(f"河段覆盖 coverage: {result.coverage:.0%}")
    click.echo(f"有效巡河 valid: {'是 yes' if result.valid else '否 no'}")
    for reason in out["reasons"]:
        click.echo(f"  - {reason}")
    for flag in result.flags:
        click.echo(f"标记 flag {flag.code}: {flag.detail}")


@main.group("photos")
def photos_group() -> None:
    """Photo storage housekeeping."""


@photos_group.command("prune")
@click.option("--older-than-hours", type=float, default=48.0, show_default=True,
              help="Unfinished uploads untouched this long are dropped (never under 24).")
@with_appcontext
def photos_prune(older_than_hours: float) -> None:
    """Drop unfinished uploads the phone has given up on."""
    import datetime as dt

    from .photos.service import prune_partials

    hours = max(24.0, older_than_hours)  # a phone offline for a day must still be able to resume
    click.echo(f"pruned {prune_partials(dt.timedelta(hours=hours))} unfinished uploads / 已清理未完成上传")
