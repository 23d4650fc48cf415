"""Domain names: IDNA normalisation, display, and who already uses a name."""

from __future__ import annotations

import idna
from sqlalchemy import select

from ... import signals
from ...exceptions import BadRequest, Conflict
from ...extensions import db
from ...models import Domain, DomainAlias

MAX_LENGTH = 100  # admin_domain.name / admin_domainalias.name are varchar(100)


def normalize_domain_name(name, field: str = "name") -> str:
    """Lower-case *name* and return its IDNA A-label form; BadRequest when invalid."""
    raw = (name or "").strip().rstrip(".")
    if not raw:
        raise BadRequest("Enter a domain name.", field=field)
    try:
        # UTS 46 mapping lower-cases and folds Unicode the way browsers and MTAs do.
        ascii_name = idna.encode(raw, uts46=True).decode("ascii")
        idna.decode(ascii_name)  # refuses malformed "xn--" labels given as-is
    except (idna.IDNAError, UnicodeError):
        raise BadRequest(f"'{raw}' is not a valid domain name.", field=field) from None
    labels = ascii_name.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        raise BadRequest(
            f"'{raw}' is not a valid domain name (it needs a dot and a top-level domain).",
            field=field,
        )
    if len(ascii_name) > MAX_LENGTH:
        raise BadRequest(f"A domain name is limited to {MAX_LENGTH} characters.", field=field)
    return ascii_name


def display_name(name: str | None) -> str:
    """Unicode form of a stored A-label name (the raw value when it does not decode)."""
    if not name:
        return ""
    prefix = "@" if name.startswith("@") else ""
    try:
        return prefix + idna.decode(name.removeprefix("@"))
    except (idna.IDNAError, UnicodeError):
        return name


def display_address(address: str | None) -> str:
    """An address with its domain part decoded for display."""
    if not address or "@" not in address:
        return address or ""
    local, _, domain = address.rpartition("@")
    return f"{local}@{display_name(domain)}"


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
