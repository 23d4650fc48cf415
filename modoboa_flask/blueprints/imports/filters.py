"""The list pages' filters, applied to the export (same query parameters as the lists).

The export reuses the domains and identities lists' own query building, so "Export"
downloads exactly what the list selects (every page, not only the one shown).
"""

from __future__ import annotations

from sqlalchemy import Select

from ...models import Alias, User
from ...permissions import visible_accounts, visible_aliases
from ..domains.queries import list_statement
from ..identities.listing import identity_selections, list_filters


def domains_statement(user, args) -> Select:
    """Domains selected by the domain list's `q` and `type` filters."""
    return list_statement(user, search=args.get("q", "").strip(), domain_type=args.get("type", ""))


def identities_statements(user, args) -> tuple[Select, Select]:
    """(accounts, aliases) selected by the identity list's `q`, `kind` and `role` filters."""
    account_ids, alias_ids = identity_selections(user, **list_filters(args))
    accounts = visible_accounts(user).where(User.id.in_(account_ids)).order_by(User.username)
    aliases = visible_aliases(user).where(Alias.id.in_(alias_ids)).order_by(Alias.address)
    return accounts, aliases
