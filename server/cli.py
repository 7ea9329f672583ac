"""The ``riverpatrol`` command: serve, db (Flask-Migrate), demo data, imports."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext


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
    """Serve the API (threaded HTTP server). Without RIVERPATROL_SECRET_KEY only on loopback."""
    from werkzeug.serving import run_simple

    from .config import is_loopback, missing_secret

    if current_app.config["SECRET_KEY_IS_DEFAULT"] and not is_loopback(host):
        raise click.ClickException(missing_secret(f"serve --host {host}"))

    click.echo(f"RiverPatrol serving on http://{host}:{port}  (API: /api/v1/openapi.json)")
    run_simple(host, port, current_app._get_current_object(), threaded=True, use_reloader=False)


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


from .track_cli import track as _track  # noqa: E402  (no app, no database: importable on its own)

main.add_command(_track, "track")


@main.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (for tests and one-off runs).")
@with_appcontext
def worker(burst: bool) -> None:
    """Run background jobs from the Redis queue (RIVERPATROL_JOBS=rq): photos, monthly runs."""
    from .jobs import work

    work(burst=burst)


@main.group("jobs")
def jobs_group() -> None:
    """Background jobs: queue one (cron calls these)."""


@jobs_group.command("enqueue")
@click.argument("name")
@click.option("--arg", "args", multiple=True, metavar="KEY=VALUE", help="A keyword argument of the job.")
@with_appcontext
def jobs_enqueue(name: str, args: tuple[str, ...]) -> None:
    """Queue job NAME (or run it here with the inline backend), e.g. cases.escalate daily,
    assessment.lock_last_month on the 3rd, photos.prune and photos.reprocess nightly."""
    from .jobs import JOBS, enqueue

    if name not in JOBS:
        raise click.UsageError(f"未知任务 unknown job {name!r}; known: {', '.join(sorted(JOBS))}")
    kwargs = dict(a.split("=", 1) for a in args)
    click.echo(f"{name}: {enqueue(name, **kwargs)}")
