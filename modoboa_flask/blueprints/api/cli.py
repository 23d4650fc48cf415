"""`flask create-api-token USERNAME [--read-only] [--expires-in DAYS]`."""

import click
from sqlalchemy import select

from ...cli import act_as_superuser
from ...exceptions import ServiceError
from ...extensions import db
from ...models import User
from . import bp
from .tokens import create_token


@bp.cli.command("create-api-token")
@click.argument("username")
@click.option("--read-only", is_flag=True, help="The token may only read (GET).")
@click.option("--expires-in", type=int, default=None, metavar="DAYS", help="Days of validity.")
@click.option("--name", default="", help="A label shown in the token list.")
def create_api_token(username, read_only, expires_in, name):
    """Create an API token for USERNAME and print its key (shown only this once)."""
    actor = act_as_superuser()
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No account named {username}.")
    if not user.is_active:
        raise click.ClickException(f"The account {username} is disabled.")
    try:
        _token, key = create_token(
            actor, user, name=name or "cli", read_only=read_only, expires_in_days=expires_in
        )
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(key)
