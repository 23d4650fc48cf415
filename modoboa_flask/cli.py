"""App-wide CLI commands (`flask load-initial-data`) and the CLI actor helper."""

import click
from flask import g

from . import signals
from .accounts import first_superuser, load_initial_data
from .extensions import db


def act_as_superuser():
    """Run the rest of a CLI command as the first super admin, logged with channel 'cli'."""
    g.channel = "cli"
    g.actor = first_superuser()
    if g.actor is None:
        raise click.ClickException("No super admin exists: run `flask load-initial-data` first.")
    return g.actor


def init_app(app):
    """Register the app-wide commands (AppGroup commands run inside an app context)."""
    app.cli.command("load-initial-data")(load_initial_data_command)


@click.option("--admin-username", default="admin", show_default=True)
def load_initial_data_command(admin_username):
    """Create roles, the default super admin and Postfix services (idempotent)."""
    from flask import current_app

    g.channel = "cli"
    try:
        done = load_initial_data(admin_username)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    for plugin_name, module in current_app.extensions.get("modoboa_plugins", {}).items():
        loader = getattr(module, "load_initial_data", None)
        if loader is not None:
            done.extend(loader() or [])
        signals.send(signals.initial_data_loaded, extname=plugin_name)
    signals.send(signals.initial_data_loaded, extname="core")
    db.session.commit()
    for line in done:
        click.echo(line)
    click.echo("Initial data loaded." if done else "Initial data already present: nothing to do.")
