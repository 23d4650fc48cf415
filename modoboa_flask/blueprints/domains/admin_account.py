"""The domain administrator the creation wizard can add (Options step).

The account, its mailbox and the postmaster@ alias are made by the identities services, so
they get the same checks, limits, events and audit rows as an account created by hand.
"""

from __future__ import annotations

import secrets

from ... import params
from ...addresses import check_local_part
from ...exceptions import ServiceError
from ...models import DOMAINADMINS, Domain, User
from ...passwords import hash_password
from ..identities.services import create_account
from .names import display_address

# Identities' field names -> the wizard's Options fields, so refusals show where they belong.
_FIELDS = {
    "username": "admin_local_part",
    "email": "admin_local_part",
    "password": "admin_password",
    "aliases": "create_postmaster",
}


def create_domain_admin(
    actor, domain: Domain, local_part: str, password: str | None, create_postmaster: bool
) -> User:
    """Create `<local_part>@<domain>` as a domain administrator with a mailbox.

    Unless the account is itself called postmaster or the domain is a relay domain,
    `postmaster@<domain>` becomes an alias to it (RFC 5321 wants that address to exist).
    Without a password the account gets an unusable random one until someone sets it.
    The caller grants it the domain.
    """
    local = check_local_part(local_part, "admin_local_part")
    address = f"{local}@{domain.name}"
    # Like Modoboa: a relay domain's postmaster is the relay target's business.
    wanted = create_postmaster and local != "postmaster" and domain.type == "domain"
    aliases = [f"postmaster@{domain.name}"] if wanted else []
    unusable = None
    if not password:
        unusable = hash_password(
            secrets.token_urlsafe(32),
            params.get("core.password_scheme"),
            params.get("core.rounds_number"),
        )
    try:
        return create_account(
            actor,
            username=address,
            role=DOMAINADMINS,
            password=password or None,
            password_hash=unusable,
            email=address,
            aliases=aliases,
        )
    except ServiceError as exc:
        if exc.field == "username" and exc.status == 409:
            exc.message = f"Account {display_address(address)} already exists."
        elif exc.field == "role":  # a plugin (limits) vetoed one more domain administrator
            exc.message = "You can't create another domain administrator."
            exc.field = "create_admin"
        exc.field = _FIELDS.get(exc.field, exc.field)
        raise
