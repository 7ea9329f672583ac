"""Configuration: the embedded default needs nothing; production needs its secrets."""
import pytest

from server import create_app


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
