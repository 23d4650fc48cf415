"""Domain aliases: another name for a domain, plus the internal `@alias -> @domain` row.

Postfix's sql-aliases.cf resolves user@alias through that internal alias row, so every
change to a domain alias (name, enabled) is mirrored on it in the same transaction.
"""

from __future__ import annotations

from sqlalchemy import select

from ... import audit, signals
from ...exceptions import BadRequest, NotFound
from ...extensions import db
from ...models import Alias, AliasRecipient, Domain, DomainAlias
from ...permissions import authorize, can_access
from ..dns import verification
from .cascade import revoke_foreign_senders
from .names import display_name, ensure_name_free, normalize_domain_name


def _internal_row(name: str) -> Alias | None:
    return db.session.scalar(
        select(Alias).where(Alias.address == f"@{name}", Alias.internal.is_(True))
    )


def add_alias_row(actor, domain: Domain, name: str, enabled: bool = True) -> DomainAlias:
    """Create a domain alias without the permission check (callers have done it)."""
    name = normalize_domain_name(name, field="aliases")
    if name == domain.name:
        raise BadRequest("A domain can't be an alias of itself.", field="aliases")
    ensure_name_free(name, field="aliases")
    for context in (actor, domain):
        signals.send(
            signals.can_create_object, context=context, object_type="domain_aliases", count=1
        )
    enabled = verification.alias_enabled(actor, enabled)  # issue 15: no unproven capture
    domain_alias = DomainAlias(name=name, target=domain, enabled=enabled)
    internal = Alias(address=f"@{name}", domain_id=domain.id, internal=True, enabled=enabled)
    internal.recipients.append(AliasRecipient(address=f"@{domain.name}"))
    db.session.add_all([domain_alias, internal])
    db.session.flush()
    revoke_foreign_senders(name, domain.id)
    signals.send(signals.domain_alias_created, user=actor, domain_alias=domain_alias)
    audit.record(
        f"Domain alias '{name}' added",
        action="create",
        obj=domain_alias,
        changes={"name": [None, name], "target": [None, domain.name], "enabled": [None, enabled]},
    )
    return domain_alias


def create_domain_alias(actor, domain: Domain, name: str, enabled: bool = True) -> DomainAlias:
    """Add *name* as an alias of *domain*."""
    authorize(actor, "domainaliases.add", domain)
    return add_alias_row(actor, domain, name, enabled)


def update_domain_alias(actor, domain_alias: DomainAlias, **changes) -> DomainAlias:
    """Rename, re-target, enable or disable a domain alias (its internal alias row follows)."""
    _check_scope(actor, domain_alias, "domainaliases.change")
    unknown = set(changes) - {"name", "target", "enabled"}
    if unknown:
        raise BadRequest(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    changes = dict(changes)
    if "name" in changes:
        changes["name"] = normalize_domain_name(changes["name"])
    verification.guard_alias_update(actor, domain_alias, changes)
    before = _alias_snapshot(domain_alias)
    internal = _internal_row(domain_alias.name)
    target = changes.get("target") or domain_alias.target
    if target.id != domain_alias.target_id:
        _retarget(actor, domain_alias, target, internal)
    if "name" in changes:
        name = normalize_domain_name(changes["name"])
        if name != domain_alias.name:
            ensure_name_free(name, alias_id=domain_alias.id)
            domain_alias.name = name
            if internal is not None:
                internal.address = f"@{name}"
            db.session.flush()
            revoke_foreign_senders(name, domain_alias.target_id)
    if domain_alias.name == target.name:
        raise BadRequest("A domain can't be an alias of itself.", field="name")
    if "enabled" in changes:
        domain_alias.enabled = bool(changes["enabled"])
        if internal is not None:
            internal.enabled = domain_alias.enabled
    diff = audit.diff(before, _alias_snapshot(domain_alias))
    if diff:
        db.session.flush()
        audit.record(
            f"Domain alias '{domain_alias.name}' modified",
            action="modify",
            obj=domain_alias,
            changes=diff,
            level="WARNING",
        )
    return domain_alias


def delete_domain_alias(actor, domain_alias: DomainAlias) -> None:
    """Remove a domain alias and its internal alias row."""
    _check_scope(actor, domain_alias, "domainaliases.delete")
    signals.send(signals.domain_alias_deleted, domain_alias=domain_alias)
    internal = _internal_row(domain_alias.name)
    if internal is not None:
        db.session.delete(internal)
    audit.record(
        f"Domain alias '{domain_alias.name}' deleted",
        action="delete",
        obj=domain_alias,
        level="CRITICAL",
    )
    db.session.delete(domain_alias)
    db.session.flush()


def _alias_snapshot(domain_alias: DomainAlias) -> dict:
    return {
        "name": domain_alias.name,
        "target": domain_alias.target.name,
        "enabled": domain_alias.enabled,
    }


def _retarget(actor, domain_alias: DomainAlias, target: Domain, internal: Alias | None) -> None:
    """Point *domain_alias* at *target*: a domain in *actor*'s scope, within its alias limit."""
    authorize(actor, "domainaliases.change", target)
    # The alias joins the target's count: its per-domain domain_aliases limit applies.
    signals.send(signals.can_create_object, context=target, object_type="domain_aliases", count=1)
    domain_alias.target = target
    if internal is not None:
        internal.domain_id = target.id
        for recipient in internal.recipients:
            recipient.address = f"@{target.name}"


def _check_scope(actor, domain_alias: DomainAlias, permission: str) -> None:
    if not can_access(actor, domain_alias):
        raise NotFound(f"Domain alias {display_name(domain_alias.name)} not found.")
    authorize(actor, permission)
