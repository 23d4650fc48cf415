"""Dashboard: counters of what the administrator may see."""

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select

from ...extensions import db
from ...models import Alias, Domain, Mailbox
from ...permissions import require, visible_aliases, visible_domains, visible_mailboxes
from . import bp


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


@bp.get("/")
@require(admin=True)
def index():
    """Show counters of the domains, mailboxes and aliases the admin manages."""
    user = current_user
    counters = {
        "Domains": _count(visible_domains(user).with_only_columns(Domain.id)),
        "Mailboxes": _count(visible_mailboxes(user).with_only_columns(Mailbox.id)),
        "Aliases": _count(
            visible_aliases(user).with_only_columns(Alias.id).where(Alias.internal.is_(False))
        ),
    }
    return render_template("dashboard/index.html", counters=counters)
