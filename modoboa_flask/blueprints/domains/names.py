"""Domain names as the domains area stores them, and who already uses a name.

The rules themselves (IDNA, lengths, display) live in `modoboa_flask.addresses`.
"""

from __future__ import annotations

from sqlalchemy import select

from ... import signals
from ...addresses import display_address, normalize_domain
from ...addresses import display_domain as display_name
from ...exceptions import Conflict
from ...extensions import db
from ...models import Domain, DomainAlias

MAX_LENGTH = 100  # admin_domain.name / admin_domainalias.name are varchar(100)


__all__ = ["display_address", "display_name", "ensure_name_free", "normalize_domain_name"]


def normalize_domain_name(name, field: str = "name") -> str:
    """The IDNA A-label of *name*, within the column's length; BadRequest when invalid."""
    return normalize_domain(name, field, max_length=MAX_LENGTH)


def ensure_name_free(
    name: str, *, domain_id: int | None = None, alias_id: int | None = None, field="name"
) -> None:
    """Refuse *name* when another domain, domain alias or plugin-declared owner uses it."""
    taken = select(Domain.id).where(Domain.name == name)
    if domain_id is not None:
        taken = taken.where(Domain.id != domain_id)
    if db.session.scalar(taken) is not None:
        raise Conflict(f"A domain named {display_name(name)} already exists.", field=field)
    taken = select(DomainAlias.id).where(DomainAlias.name == name)
    if alias_id is not None:
        taken = taken.where(DomainAlias.id != alias_id)
    if db.session.scalar(taken) is not None:
        raise Conflict(f"A domain alias named {display_name(name)} already exists.", field=field)
    for is_used, label in signals.collect(signals.check_domain_name):
        if is_used(name):
            raise Conflict(f"A {label} named {display_name(name)} already exists.", field=field)
