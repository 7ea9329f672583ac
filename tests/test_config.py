"""Configuration: the embedded default needs nothing; production needs its secrets."""
import pytest

from server import create_app

from .services import free_port


def test_production_refuses_to_start_without_a_secret(tmp_path):
    with pytest.raises(RuntimeError, match="RIVERPATROL_SECRET_KEY"):
        create_app({"ENV_MODE": "production", "SECRET_KEY": None,
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})


def test_production_refuses_a_short_secret(tmp_path):
    with pytest.raises(RuntimeError, match="32"):
        create_app({"ENV_MODE": "production", "SECRET_KEY": "short",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})


def test_embedded_default_needs_no_configuration(tmp_path, monkeypatch):
    for var in ("RIVERPATROL_DATABASE_URL", "RIVERPATROL_SECRET_KEY", "RIVERPATROL_ENV"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RIVERPATROL_INSTANCE", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith(f"sqlite:///{tmp_path}/riverpatrol.sqlite")
    assert app.config["PHOTO_DIR"] == str(tmp_path / "photos")


def _without_secret(tmp_path, **extra) -> dict:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("RIVERPATROL_SECRET_KEY", "RIVERPATROL_ENV",
                                                             "RIVERPATROL_DATABASE_URL")}
    return {**env, "RIVERPATROL_INSTANCE": str(tmp_path), **extra}


def test_serving_beyond_loopback_needs_a_secret(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    riverpatrol = str(Path(sys.executable).parent / "riverpatrol")
    r = subprocess.run([riverpatrol, "serve", "--host", "0.0.0.0", "--port", str(free_port())],
                       env=_without_secret(tmp_path), capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    assert "未设置 RIVERPATROL_SECRET_KEY" in r.stderr and "only accepted on a loopback address" in r.stderr
    assert "serving on" not in r.stdout


def test_gunicorn_refuses_to_start_without_a_secret(tmp_path):
    """Even outside RIVERPATROL_ENV=production: gunicorn serves other machines."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = _without_secret(tmp_path, GUNICORN_BIND=f"127.0.0.1:{free_port()}", GUNICORN_WORKERS="1")
    r = subprocess.run([str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py"], cwd=root,
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert "未设置 RIVERPATROL_SECRET_KEY，gunicorn 拒绝启动" in r.stderr and "openssl rand -hex 32" in r.stderr

