"""One handler per row type, each going through the area's service (the reference path).

A handler returns a short description of what it created, or raises: `RowExists` when the
row's object is already there, `ServiceError` (with the services' own messages) otherwise.
The batched path in `fast.py` must reach the same verdicts; `tests/imports` compares both.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select

from .. import signals
from ..accounts import set_password
from ..addresses import clean_list, normalize_address, shown, username_problem
from ..blueprints.domains import services as domain_area
from ..blueprints.identities import services as identity_area
from ..exceptions import BadRequest, PermissionDenied, ServiceError
from ..extensions import db
from ..models import DOMAINADMINS, Alias, Domain, DomainAlias, User
from ..permissions import has_perm, role_level, visible_domains
from . import rows

RELAY_PLUGIN = "relaydomains"  # the name the plugin registers under
ALIAS_KINDS = ("alias", "forward", "dlist")


class RowExists(ServiceError):
    """The object of this row already exists (skipped with "continue on error")."""

    status = 409


def domain_services():
    """The domains area's services (the importer calls them, as the UI and the API do)."""
    return domain_area


def identity_services():
    """The identities area's services."""
    return identity_area


def clean_recipients(values) -> list[str]:
    """Recipients normalized as the alias service does (external ones allowed)."""
    return clean_list(values, "recipients", strict=False)


def normalize_domain(value: str) -> str:
    """A domain name normalized exactly as the domains services do."""
    return domain_services().normalize_domain_name(value)


# --- verdicts shared with the batched path ------------------------------------------------
def existing(ctx, kind: str, key: str, found_id: int | None, model) -> None:
    """Raise when *found_id* exists: a duplicate line if this import created it."""
    if found_id is None:
        return
    if found_id > ctx.baseline.get(model.__name__, 0):
        raise BadRequest(f"Duplicate line: {kind} {key} already appears earlier in the file")
    raise RowExists(f"Object already exists: {kind}{ctx.sepchar}{key}")


def duplicate(kind: str, key: str) -> BadRequest:
    """The error for a second line defining the same object."""
    return BadRequest(f"Duplicate line: {kind} {key} already appears earlier in the file")


def unknown_mail_domain(kind: str, username: str, domain: str) -> BadRequest:
    """The error for an account or alias in a domain that does not exist."""
    if kind == "account":
        return BadRequest(f"Account import failed ({username}): domain {domain} does not exist")
    return BadRequest(f"Domain '{domain}' does not exist")


def simple_user_address(row: rows.AccountRow) -> str:
    """A simple user's username is its mailbox address: check both and return it."""
    if not row.address:
        raise BadRequest(f"The simple user '{row.username}' must have a valid email address")
    username = normalize_address(row.username, "address")
    if normalize_address(row.address, "address") != username:
        raise BadRequest(f"username and email fields must not differ for '{row.username}'")
    return username


def check_role(actor, role: str) -> None:
    """Refuse a role the importer may not give."""
    if role in identity_services().allowed_roles(actor, None):
        return
    if role_level(role) >= role_level(actor.role):
        raise PermissionDenied("You can't import an account with a role greater than yours")
    raise PermissionDenied(f"You can't create an account with the role {role} (limit reached?)")


def username_id(username: str) -> int | None:
    """Id of the account called *username* (case-insensitive, as the services compare)."""
    return db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))


def public_alias_id(address: str) -> int | None:
    """Id of the public alias *address*."""
    return db.session.scalar(
        select(Alias.id).where(Alias.address == address, Alias.internal.is_(False))
    )


def domain_id(name: str) -> int | None:
    """Id of the domain *name*."""
    return db.session.scalar(select(Domain.id).where(Domain.name == name))


# --- handlers -------------------------------------------------------------------------------
def import_domain(ctx, fields: list[str]) -> str:
    """`domain` rows."""
    row = rows.parse_domain(fields)
    if not has_perm(ctx.actor, "domains.add"):
        raise PermissionDenied("You are not allowed to import domains")
    name = normalize_domain(row.name)
    existing(ctx, "domain", name, domain_id(name), Domain)
    domain_services().create_domain(
        ctx.actor,
        name=name,
        quota=row.quota,
        default_mailbox_quota=row.default_mailbox_quota,
        enabled=row.enabled,
    )
    return f"domain {name}"


def import_domain_alias(ctx, fields: list[str]) -> str:
    """`domainalias` rows."""
    name, target, enabled = rows.parse_domain_alias(fields)
    if not has_perm(ctx.actor, "domainaliases.add"):
        raise PermissionDenied("You are not allowed to import domain aliases.")
    name = normalize_domain(name)
    alias_id = db.session.scalar(select(DomainAlias.id).where(DomainAlias.name == name))
    existing(ctx, "domainalias", name, alias_id, DomainAlias)
    existing(ctx, "domainalias", name, domain_id(name), Domain)
    target_name = normalize_domain(target)
    domain = db.session.scalar(visible_domains(ctx.actor).where(Domain.name == target_name))
    if domain is None:
        raise BadRequest(f"Unknown domain {target}")
    domain_services().create_domain_alias(ctx.actor, domain, name, enabled=enabled)
    return f"domain alias {name} of {target_name}"


def import_relay_domain(ctx, fields: list[str]) -> str:
    """`relaydomain` rows (the relay domains plugin must be enabled)."""
    if RELAY_PLUGIN not in current_app.extensions.get("modoboa_plugins", {}):
        raise BadRequest("Relay domains are not enabled here: relaydomain rows can't be imported")
    # Late: a plugin is imported only when it is enabled (checked just above).
    from ..plugins.relaydomains.services import set_relay_settings

    row = rows.parse_relay_domain(fields)
    if not has_perm(ctx.actor, "domains.add"):
        raise PermissionDenied("You are not allowed to import domains")
    name = normalize_domain(row.name)
    existing(ctx, "relaydomain", name, domain_id(name), Domain)
    domain = domain_services().create_domain(
        ctx.actor, name=name, type="relaydomain", quota=0, default_mailbox_quota=0,
        enabled=row.enabled,
    )  # fmt: skip
    set_relay_settings(
        ctx.actor, domain, target_host=row.host, target_port=row.port, service=row.service,
        verify_recipients=row.verify,
    )  # fmt: skip
    return f"relay domain {name}"


def import_account(ctx, fields: list[str]) -> str:
    """`account` rows (and their mailbox, and administered domains for domain admins)."""
    row = rows.parse_account(fields)
    if not has_perm(ctx.actor, "accounts.add"):
        raise PermissionDenied("You are not allowed to import accounts")
    check_role(ctx.actor, row.role)
    if row.role == "SimpleUsers":
        username = simple_user_address(row)
    else:
        username = row.username
        reason = username_problem(username or "")
        if reason:
            raise BadRequest(f"Invalid username '{shown(username or '')}': {reason}")
    # Another tenant's address is refused before "already exists" could say it is taken.
    identity_services().check_username_domain(ctx.actor, username)
    existing(ctx, "account", username, username_id(username), User)
    address = normalize_address(row.address, "address") if row.address else None
    if address and domain_id(address.rpartition("@")[2]) is None:
        raise unknown_mail_domain("account", row.username, address.rpartition("@")[2])
    stored, raw = rows.password_for(row, ctx.crypt_password)
    domains = []
    if row.role == DOMAINADMINS and row.domains:
        # Like Modoboa: names of domains that do not exist are ignored.
        wanted = {normalize_domain(name) for name in row.domains}
        domains = sorted(db.session.scalars(select(Domain.name).where(Domain.name.in_(wanted))))
    account = identity_services().create_account(
        ctx.actor, username=username, role=row.role, password_hash=stored or None,
        first_name=row.first_name, last_name=row.last_name, is_active=row.enabled,
        email=address, quota=row.quota, domains=domains,
    )  # fmt: skip
    if raw:
        set_password(account, raw, is_creation=True)
    signals.send(signals.account_imported, user=ctx.actor, account=account, row=row.extra)
    return f"account {username}"


def import_alias(ctx, kind: str, fields: list[str]) -> str:
    """`alias`, `forward` and `dlist` rows."""
    address, enabled, recipients = rows.parse_alias(kind, fields)
    if not has_perm(ctx.actor, "aliases.add"):
        raise PermissionDenied("You are not allowed to import aliases")
    address = normalize_address(address, "address", catchall=True)
    existing(ctx, kind, address, public_alias_id(address), Alias)
    domain = address.rpartition("@")[2]
    if domain_id(domain) is None:
        raise unknown_mail_domain(kind, address, domain)
    identity_services().create_alias(
        ctx.actor, address=address, recipients=recipients, enabled=enabled
    )
    return f"{kind} {address}"


def import_extra(ctx, kind: str, fields: list[str]) -> str:
    """Row types plugins handle through the ImportObject hook; unknown ones are errors."""
    handlers = signals.collect(signals.import_object, objtype=kind)
    if not handlers:
        raise BadRequest(f"Unknown row type '{fields[0]}'")
    options = {"sepchar": ctx.sepchar, "crypt_password": ctx.crypt_password}
    handlers[0](ctx.actor, fields, options)
    return f"{kind} {fields[1] if len(fields) > 1 else ''}".strip()


def handle(ctx, kind: str, fields: list[str]) -> str:
    """Dispatch one row to its handler."""
    if kind == "domain":
        return import_domain(ctx, fields)
    if kind == "domainalias":
        return import_domain_alias(ctx, fields)
    if kind == "relaydomain":
        return import_relay_domain(ctx, fields)
    if kind == "account":
        return import_account(ctx, fields)
    if kind in ALIAS_KINDS:
        return import_alias(ctx, kind, fields)
    return import_extra(ctx, kind, fields)
