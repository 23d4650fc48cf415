"""modoboa_flask: mail hosting administration for Postfix and Dovecot."""

import os
import secrets

from flask import Flask

__version__ = "0.1.0"


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(
    config_object="config.Config", overrides: dict | None = None, instance_path: str | None = None
) -> Flask:
    """Build the application: config, extensions, blueprints, plugins, errors, CLI."""
    app = Flask(__name__, instance_path=instance_path or os.path.join(ROOT, "instance"))
    app.config.from_object(config_object)
    if not app.config.get("TESTING"):
        app.config.from_prefixed_env("MODOBOA")
    app.config.update(overrides or {})
    _finish_config(app)

    # Late: these modules import `modoboa_flask` (its __version__), which is loading now.
    from . import bounds, cli, errors, extensions, health, metrics, plugins, security
    from .blueprints import register_blueprints

    extensions.init_app(app)
    metrics.init_app(app)  # first: its timer starts before any other hook
    security.init_app(app)
    bounds.init_app(app)
    register_blueprints(app)
    plugins.init_app(app)
    errors.init_app(app)
    health.init_app(app)
    cli.init_app(app)
    return app


def _finish_config(app: Flask) -> None:
    """Derive the database URL and secret key when the environment gave none."""
    url = app.config.get("DATABASE_URL") or ""
    if not url:
        os.makedirs(app.instance_path, exist_ok=True)
        url = "sqlite:///" + os.path.join(app.instance_path, "modoboa.db")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)


def _instance_secret(instance_path: str) -> str:
    """Read the key kept in instance/secret_key, creating it (mode 0600) on first start."""
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, "secret_key")
    try:
        with open(path) as fh:
            return fh.read().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key
