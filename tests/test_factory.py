"""The app factory: configuration from the environment, secret key, wiring."""

import os

from config import Config, TestConfig
from modoboa_flask import create_app


def test_database_url_from_environment(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path}/other.db"
    monkeypatch.setenv("MODOBOA_DATABASE_URL", url)
    app = create_app(Config, instance_path=str(tmp_path / "instance"))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == url


def test_default_database_is_sqlite_file_in_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("MODOBOA_DATABASE_URL", raising=False)
    instance = tmp_path / "instance"
    app = create_app(Config, instance_path=str(instance))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance}/modoboa.db"


def test_secret_key_generated_once_and_kept(monkeypatch, tmp_path):
    monkeypatch.delenv("MODOBOA_SECRET_KEY", raising=False)
    instance = tmp_path / "instance"
    first = create_app(Config, instance_path=str(instance)).config["SECRET_KEY"]
    second = create_app(Config, instance_path=str(instance)).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    key_file = instance / "secret_key"
    assert key_file.read_text() == first
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    other = create_app(Config, instance_path=str(tmp_path / "elsewhere")).config["SECRET_KEY"]
    assert other != first  # never a constant in the code


def test_secret_key_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MODOBOA_SECRET_KEY", "from-the-environment")
    app = create_app(Config, instance_path=str(tmp_path))
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not os.path.exists(tmp_path / "secret_key")


def test_testing_config_ignores_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MODOBOA_DATABASE_URL", "sqlite:////nonexistent/x.db")
    app = create_app(TestConfig, instance_path=str(tmp_path))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"
    assert app.testing


def test_factory_registers_core_blueprints_and_commands(app):
    assert {"auth", "dashboard", "user"} <= set(app.blueprints)
    assert "load-initial-data" in app.cli.commands
