"""`flask parameters list|get|set` and `flask cleanlogs`."""

import click

from ... import params
from ...cli import act_as_superuser
from ...exceptions import ServiceError
from ...extensions import db
from . import bp
from .services import clean_logs, set_parameter


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


@bp.cli.command("cleanlogs")
def cleanlogs_command():
    """Delete audit-log records older than `core.log_maximum_age` days."""
    deleted = clean_logs()
    db.session.commit()
    click.echo(f"Deleted {deleted} log record(s) older than "
               f"{params.get('core.log_maximum_age')} days.")  # fmt: skip
