"""The list pages' filters, applied to the export (same query parameters as the lists).

When the domains or identities area provides its list statement, the export reuses it, so
"Export" downloads exactly what the list shows (every page); otherwise it exports all the
objects in the user's scope.
"""

from __future__ import annotations

from sqlalchemy import Select

from ...models import Alias, Domain, User
from ...permissions import visible_accounts, visible_aliases, visible_domains


def domains_statement(user, args) -> Select:
    """Domains selected by the domain list's `q` and `type` filters."""
    try:
        from ..domains.queries import list_statement
    except ImportError:
        return visible_domains(user).order_by(Domain.name)
    return list_statement(user, search=args.get("q", "").strip(), domain_type=args.get("type", ""))


def identities_statements(user, args) -> tuple[Select | None, Select | None]:
    """(accounts, aliases) selected by the identity list's filters."""
    accounts = visible_accounts(user).order_by(User.username)
    aliases = visible_aliases(user).where(Alias.internal.is_(False)).order_by(Alias.address)
    return accounts, aliases
