"""`flask domains ...`: create and delete domains from the shell (as the first super admin)."""

from __future__ import annotations

import click

from ...cli import act_as_superuser
from ...exceptions import ServiceError
from ...extensions import db
from ...models import Domain
from . import bp, services
from .names import normalize_domain_name


@bp.cli.command("create")
@click.argument("name")
@click.option("--quota", type=int, default=None, help="Domain quota in MB (0 = unlimited).")
@click.option("--alias", "aliases", multiple=True, help="A domain alias (repeatable).")
@click.option("--disabled", is_flag=True, help="Create the domain disabled.")
def create_command(name, quota, aliases, disabled):
    """Create a domain."""
    try:
        domain = services.create_domain(
            act_as_superuser(), name=name, quota=quota, aliases=aliases, enabled=not disabled
        )
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"Domain {domain.name} created.")


@bp.cli.command("delete")
@click.argument("name")
@click.option("--remove-mailboxes", is_flag=True, help="Also delete the mailbox directories.")
def delete_command(name, remove_mailboxes):
    """Delete a domain and everything in it."""
    try:
        domain = db.session.scalar(
            db.select(Domain).where(Domain.name == normalize_domain_name(name))
        )
        if domain is None:
            raise click.ClickException(f"Domain {name} not found.")
        services.delete_domain(act_as_superuser(), domain, keep_mailboxes=not remove_mailboxes)
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    click.echo(f"Domain {name} deleted.")
