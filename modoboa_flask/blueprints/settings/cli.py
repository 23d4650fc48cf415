"""`flask parameters list|get|set` and `flask cleanup` (alias `flask cleanlogs`)."""

import click

from ... import audit, cleanup, locks, params
from ...cli import act_as_superuser
from ...exceptions import ServiceError
from ...extensions import db
from . import bp
from .services import set_parameter


@bp.cli.group("parameters")
def parameters_group():
    """Read and write the global parameters."""


@parameters_group.command("list")
@click.argument("app", required=False)
def list_command(app):
    """Print every global parameter (of APP) as `app.name = value`."""
    found = params.definitions(app, "A")
    if app and not found:
        raise click.ClickException(f"Unknown application {app}")
    for param in found:
        click.echo(f"{param.key} = {param.display(params.get(param.key))}")


@parameters_group.command("get")
@click.argument("key")
def get_command(key):
    """Print the value of parameter APP.NAME (secrets are masked)."""
    try:
        param = params.definition(key)
    except KeyError:
        raise click.ClickException(f"Unknown parameter {key}") from None
    click.echo(param.display(params.get(key)))


@parameters_group.command("set")
@click.argument("key")
@click.argument("value")
def set_command(key, value):
    """Validate and store VALUE for parameter APP.NAME (same rules as the page)."""
    actor = act_as_superuser()
    try:
        stored = set_parameter(actor, key, value)
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"{key} = {params.definition(key).display(stored)}")


@bp.cli.command("cleanup")
@click.option("--dry-run", is_flag=True, help="Print what would be deleted; delete nothing.")
def cleanup_command(dry_run):
    """Delete old audit records and login failures, abandoned sessions and uploads, and
    expired API tokens (the nightly job; safe to run on every node at once)."""
    uploads = cleanup.abandoned_uploads(dry_run)  # this node's folder: no lock needed
    with locks.exclusive("cleanup") as held:
        if held:
            try:
                results = cleanup.clean_database(dry_run=dry_run)
            except BaseException:
                db.session.rollback()
                raise
            if dry_run:
                db.session.rollback()
            else:
                # The run's own audit row: /metrics reports the last run from it.
                summary = ", ".join(f"{r.count} {r.things}" for r in results)
                audit.record(f"Cleanup done: {summary}", action="cleanup", logger="modoboa.core")
                db.session.commit()
    if not held:
        click.echo("Another cleanup is running: the database is left to it.")
        results = []
    for result in [*results, uploads]:
        click.echo(result.line(dry_run))
    if dry_run:
        click.echo("Dry run: nothing was deleted.")


# The command's name before it did more than the logs: existing cron lines keep working.
bp.cli.add_command(cleanup_command, "cleanlogs")
