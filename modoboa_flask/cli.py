"""App-wide CLI commands (`flask load-initial-data`, `flask repair`) and the CLI actor helper."""

import click
from flask import g

from . import ldapauth, plugins, signals
from .accounts import first_superuser, load_initial_data
from .extensions import db
from .repair import repair_command
from .switchover import SwitchoverError, migrate_from_modoboa


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
    app.cli.command("migrate-from-modoboa")(migrate_from_modoboa_command)
    app.cli.command("repair")(repair_command)
    app.cli.command("ldap-check")(ldap_check_command)


@click.option("--admin-username", default="admin", show_default=True)
def load_initial_data_command(admin_username):
    """Create roles, the default super admin, Postfix services and plugins' data (idempotent)."""
    g.channel = "cli"
    try:
        done = load_initial_data(admin_username)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    done.extend(_plugins_initial_data())
    db.session.commit()
    for line in done:
        click.echo(line)
    click.echo("Initial data loaded." if done else "Initial data already present: nothing to do.")


@click.argument("source_url")
@click.option("--dry-run", is_flag=True, help="Copy, report, then roll everything back.")
def migrate_from_modoboa_command(source_url, dry_run):
    """Copy a Modoboa 1.6 database (SOURCE_URL, only read) into this app's empty database."""
    g.channel = "cli"
    try:
        report = migrate_from_modoboa(source_url, dry_run=dry_run)
    except SwitchoverError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    if dry_run:
        db.session.rollback()
    else:
        # Roles, relay services and plugins' rows, as for a new install.
        load_initial_data()
        _plugins_initial_data()
        db.session.commit()
    for line in report.lines():
        click.echo(line)
    click.echo("Dry run: nothing written." if dry_run else "Modoboa's data copied.")


def _plugins_initial_data() -> list[str]:
    done = []
    for name, plugin in plugins.loaded().items():
        if plugin.load_initial_data is not None:
            done.extend(plugin.load_initial_data() or [])
        signals.send(signals.initial_data_loaded, extname=name)
    signals.send(signals.initial_data_loaded, extname="core")
    return done


@click.option("--user", "sample_user", default="", help="A login to look up (e.g. an address).")
def ldap_check_command(sample_user):
    """Check the LDAP settings: connect, bind, find --user; exit status 1 when a step fails."""
    if not ldapauth.enabled():
        click.echo("Authentication type is not LDAP (core.authentication_type).", err=True)
    steps = ldapauth.check_connection(sample_user)
    for step in steps:
        click.echo(f"[{'OK' if step.ok else 'FAILED'}] {step.name}: {step.message}")
    if not all(step.ok for step in steps):
        raise SystemExit(1)
