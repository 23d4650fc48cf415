"""Helpers shared by the identities services: addresses, domains, scope checks, audit."""

from __future__ import annotations

from sqlalchemy import select

from ... import audit
from ...exceptions import BadRequest, NotFound, PermissionDenied
from ...extensions import db
from ...models import Domain, DomainAlias, User
from ...permissions import authorize, is_domain_admin_of

NO_ACCESS = "You don't have access to this domain"


def split(address: str) -> tuple[str, str]:
    """(local part, domain) of an address ('' local part for a catch-all)."""
    local, _, domain = address.rpartition("@")
    return local, domain


def find_domain(name: str) -> Domain | None:
    """The hosted or relayed domain called *name*."""
    return db.session.scalar(select(Domain).where(Domain.name == name))


def hosted_domain(name: str) -> Domain | None:
    """The domain *name* is (or is an alias of), None when it is not hosted here."""
    if not name:
        return None
    found = find_domain(name)
    if found is not None:
        return found
    return db.session.scalar(
        select(Domain)
        .join(DomainAlias, DomainAlias.target_id == Domain.id)
        .where(DomainAlias.name == name)
    )


def is_local_domain(name: str) -> bool:
    """True when *name* is one of our domains or domain aliases."""
    if find_domain(name) is not None:
        return True
    return db.session.scalar(select(DomainAlias.id).where(DomainAlias.name == name)) is not None


def administered_domain(actor, name: str, field: str) -> Domain:
    """The domain *name* if *actor* administers it; else a refusal naming the problem."""
    domain = find_domain(name)
    if domain is None:
        raise BadRequest("Domain does not exist", field=field)
    if not is_domain_admin_of(actor, domain):
        raise PermissionDenied(NO_ACCESS, field=field)
    return domain


def check_address_scope(actor, address: str, field: str) -> None:
    """Refuse (403) an address of a domain or domain alias outside *actor*'s scope.

    Addresses of external domains pass: a mailbox may be allowed to send as them.
    """
    _, name = split(address)
    domain = find_domain(name)
    if domain is None:
        target_id = db.session.scalar(select(DomainAlias.target_id).where(DomainAlias.name == name))
        domain = db.session.get(Domain, target_id) if target_id is not None else None
    if domain is not None and not is_domain_admin_of(actor, domain):
        raise PermissionDenied(NO_ACCESS, field=field)


# The one check is permissions.authorize; this name stays only for set_password until the
# password-change branch (which rewrites that function) merges.
require_perm = authorize


def account_snapshot(account: User) -> dict:
    """The audited fields of an account (never its password)."""
    mailbox = account.mailbox
    return {
        "username": account.username,
        "first_name": account.first_name,
        "last_name": account.last_name,
        "role": account.role,
        "is_active": account.is_active,
        "master_user": account.master_user,
        "email": account.email,
        "language": account.language,
        "phone_number": account.phone_number,
        "secondary_email": account.secondary_email,
        "quota": mailbox.quota if mailbox else None,
        "use_domain_quota": mailbox.use_domain_quota if mailbox else None,
    }


def record_change(message: str, obj, before: dict, after: dict, action="modify") -> dict:
    """Audit a change with its changed fields; return the changes (empty = nothing logged)."""
    changes = audit.diff(before, after)
    if changes:
        audit.record(message, action=action, obj=obj, changes=changes, level="WARNING")
    return changes


def not_found() -> NotFound:
    """The refusal for objects outside the actor's scope (same answer as a missing one)."""
    return NotFound("Not found")
