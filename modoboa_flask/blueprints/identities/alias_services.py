"""Aliases, distribution lists, catch-alls and self-service forwards.

Recipients are resolved once, when written: a local mailbox (`user+tag@` counts as `user@`)
gives `r_mailbox`, a local alias gives `r_alias`, anything else is external (both NULL).
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select

from ... import audit, signals
from ...addresses import clean_list, normalize_address, normalize_domain
from ...exceptions import BadRequest, Conflict, NotFound
from ...extensions import db
from ...models import Alias, AliasRecipient, Domain, Mailbox
from ...permissions import authorize, is_domain_admin_of
from .common import (
    administered_domain,
    find_domain,
    not_found,
    record_change,
    split,
)


def _resolve(alias: Alias, address: str) -> AliasRecipient:
    """Build the recipient row for *address* (raises when a local address matches nothing)."""
    local, domain_name = split(address)
    domain = find_domain(domain_name)
    external = domain is None or any(
        signals.collect(signals.use_external_recipients, recipient=address, domain=domain)
    )
    if external:
        return AliasRecipient(address=address)
    base = local.split("+", 1)[0] if "+" in local else local
    mailbox_id = db.session.scalar(
        select(Mailbox.id).where(Mailbox.domain_id == domain.id, Mailbox.address == base)
    )
    if mailbox_id is not None:
        return AliasRecipient(address=address, r_mailbox_id=mailbox_id)
    target = db.session.scalar(
        select(Alias).where(
            Alias.address.in_({address, f"{base}@{domain_name}"}), Alias.internal.is_(False)
        )
    )
    if target is None:
        raise NotFound(f"Local recipient {address} not found", field="recipients")
    if target is alias or (alias.id is not None and target.id == alias.id):
        raise Conflict(f"Alias {address} can't be a recipient of itself", field="recipients")
    return AliasRecipient(address=address, r_alias_id=target.id)


def set_recipients(alias: Alias, addresses) -> None:
    """Replace the recipients of *alias* (duplicates folded, at least one)."""
    # Recipients may be external: they never become a mail directory (see addresses.py).
    wanted = clean_list(addresses, "recipients", strict=False)
    if not wanted:
        raise BadRequest("No recipient defined", field="recipients")
    current = {rcpt.address: rcpt for rcpt in alias.recipients}
    for address, rcpt in current.items():
        if address not in wanted:
            alias.recipients.remove(rcpt)
    db.session.flush()
    # `user@` and `user+tag@` land in the same mailbox: one row per target is enough.
    targets = {_target(rcpt) for rcpt in alias.recipients}
    for address in wanted:
        if address in current:
            continue
        rcpt = _resolve(alias, address)
        if _target(rcpt) not in targets:
            targets.add(_target(rcpt))
            alias.recipients.append(rcpt)
    db.session.flush()


def _target(rcpt: AliasRecipient) -> tuple:
    if rcpt.r_mailbox_id:
        return ("mailbox", rcpt.r_mailbox_id)
    if rcpt.r_alias_id:
        return ("alias", rcpt.r_alias_id)
    return ("external", rcpt.address)


def _alias_domain(actor, address: str) -> Domain:
    _, domain_name = split(address)
    return administered_domain(actor, domain_name, "address")


def _check_free(address: str, exclude_id=None) -> None:
    stmt = select(Alias.id).where(Alias.address == address, Alias.internal.is_(False))
    if exclude_id is not None:
        stmt = stmt.where(Alias.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise Conflict("Alias with this name already exists", field="address")


def _random_address(domain: Domain) -> str:
    while True:
        address = f"{secrets.token_hex(10)}@{domain.name}"
        if db.session.scalar(select(Alias.id).where(Alias.address == address)) is None:
            return address


def create_alias(
    actor,
    *,
    address,
    recipients,
    enabled=True,
    expire_at=None,
    description="",
    random_address=False,
    domain=None,
) -> Alias:
    """Create an alias, catch-all (`@domain`) or random address of *domain*."""
    authorize(actor, "aliases.add")
    if random_address:
        if domain is None or domain == "":
            raise BadRequest("A domain is required for a random address", field="domain")
        if isinstance(domain, Domain):
            name = domain.name
        else:
            name = normalize_domain(str(domain), "domain")
        target = administered_domain(actor, name, "domain")
        address = _random_address(target)
    else:
        address = normalize_address(address, "address", catchall=True)
        target = _alias_domain(actor, address)
    _check_free(address)
    signals.send(signals.can_create_object, context=actor, object_type="mailbox_aliases", count=1)
    signals.send(signals.can_create_object, context=target, object_type="mailbox_aliases", count=1)
    alias = Alias(
        address=address,
        domain_id=target.id,
        enabled=bool(enabled),
        expire_at=expire_at,
        description=description or "",
    )
    db.session.add(alias)
    db.session.flush()
    set_recipients(alias, recipients)
    signals.send(signals.mailbox_alias_created, user=actor, mailbox_alias=alias)
    audit.record(
        f"Alias '{address}' added",
        action="create",
        obj=alias,
        changes={"recipients": [None, [r.address for r in alias.recipients]]},
    )
    return alias


def snapshot(alias: Alias) -> dict:
    return {
        "address": alias.address,
        "enabled": alias.enabled,
        "expire_at": alias.expire_at,
        "description": alias.description,
        "recipients": sorted(r.address for r in alias.recipients),
    }


def check_alias_scope(actor, alias: Alias) -> None:
    """404 unless *alias* is a public alias of a domain *actor* administers."""
    domain = db.session.get(Domain, alias.domain_id) if alias.domain_id else None
    if alias.internal or domain is None or not is_domain_admin_of(actor, domain):
        raise not_found()


def update_alias(actor, alias: Alias, **changes) -> Alias:
    """Change an alias: address, recipients, enabled, expire_at, description."""
    authorize(actor, "aliases.change")
    check_alias_scope(actor, alias)
    before = snapshot(alias)
    if "address" in changes:
        address = normalize_address(changes["address"], "address", catchall=True)
        if address != alias.address:
            target = _alias_domain(actor, address)
            _check_free(address, exclude_id=alias.id)
            alias.address, alias.domain_id = address, target.id
            for rcpt in db.session.scalars(
                select(AliasRecipient).where(AliasRecipient.r_alias_id == alias.id)
            ):
                rcpt.address = address
    if "recipients" in changes:
        set_recipients(alias, changes["recipients"])
    for key in ("enabled", "expire_at", "description"):
        if key in changes:
            setattr(alias, key, changes[key] if key != "description" else changes[key] or "")
    db.session.flush()
    record_change(f"Alias '{alias.address}' modified", alias, before, snapshot(alias))
    return alias


def drop_aliases(aliases: list[Alias]) -> None:
    """Delete *aliases*, their entries in other aliases, and aliases this leaves empty."""
    if not aliases:
        return
    signals.send(signals.mailbox_alias_deleted, mailbox_alias=aliases)
    ids = [alias.id for alias in aliases]
    touched = list(
        db.session.scalars(
            select(AliasRecipient.alias_id).where(AliasRecipient.r_alias_id.in_(ids))
        )
    )
    for alias in aliases:
        audit.record(
            f"Alias '{alias.address}' deleted", action="delete", obj=alias, level="CRITICAL"
        )
    db.session.execute(delete(AliasRecipient).where(AliasRecipient.r_alias_id.in_(ids)))
    db.session.execute(delete(AliasRecipient).where(AliasRecipient.alias_id.in_(ids)))
    db.session.execute(delete(Alias).where(Alias.id.in_(ids)))
    db.session.expire_all()
    prune_empty_aliases([i for i in touched if i not in ids])


def prune_empty_aliases(alias_ids) -> None:
    """Remove the public aliases among *alias_ids* that no longer have any recipient."""
    if not alias_ids:
        return
    has_rcpt = select(AliasRecipient.id).where(AliasRecipient.alias_id == Alias.id).exists()
    empty = list(
        db.session.scalars(
            select(Alias).where(Alias.id.in_(set(alias_ids)), Alias.internal.is_(False), ~has_rcpt)
        )
    )
    drop_aliases(empty)


def delete_aliases(actor, aliases) -> int:
    """Delete public *aliases* (all in scope, or nothing); return how many went."""
    authorize(actor, "aliases.delete")
    aliases = list(aliases)
    for alias in aliases:
        check_alias_scope(actor, alias)
    drop_aliases(aliases)
    return len(aliases)
