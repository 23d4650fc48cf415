"""Domain ownership proof (issue 15): with `admin.require_domain_verification` on, a domain
created or renamed by a reseller or domain admin stays disabled (invisible to Postfix) until
`_modoboa-verification.<domain>` publishes its token in a TXT record.

Without it any reseller could add `gmail.com` as a local domain and capture the mail other
tenants send there. Super admins are exempt.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select

from ... import audit
from ...exceptions import BadRequest
from ...extensions import db
from ...models import Domain, DomainCheck, DomainVerification, utcnow
from ...params import get as param
from .checks import ERROR, OK, Result
from .resolver import DnsUnavailable, Lookup

LABEL = "_modoboa-verification"


def required_for(actor) -> bool:
    """True when domains *actor* creates or renames must prove ownership."""
    return bool(param("admin.require_domain_verification")) and not actor.is_superuser


def pending(domain: Domain) -> DomainVerification | None:
    """The domain's open verification, if any."""
    return db.session.scalar(
        select(DomainVerification).where(DomainVerification.domain_id == domain.id)
    )


def pending_ids(domain_ids) -> set[int]:
    """Which of *domain_ids* wait for their ownership proof (one query)."""
    if not domain_ids:
        return set()
    stmt = select(DomainVerification.domain_id).where(
        DomainVerification.domain_id.in_(list(domain_ids))
    )
    return set(db.session.scalars(stmt))


def record(domain: Domain, row: DomainVerification) -> str:
    """The TXT record that proves ownership of *domain*."""
    return f'{LABEL}.{domain.name}. IN TXT "{row.token}"'


def start(actor, domain: Domain, enable: bool) -> DomainVerification | None:
    """Open (or renew, after a rename) the verification of *domain* when *actor* needs it."""
    if not required_for(actor):
        return None
    row = pending(domain)
    if row is None:
        row = DomainVerification(domain_id=domain.id)
        db.session.add(row)
    row.token = f"modoboa-verification={secrets.token_hex(16)}"
    row.enable = bool(enable)
    row.created = utcnow()
    domain.enabled = False  # Postfix reads enabled domains only
    db.session.flush()
    return row


def guard_update(actor, domain: Domain, changes: dict) -> None:
    """Refuse to enable a domain still waiting for its proof (super admins may)."""
    row = pending(domain)
    if row is None or not changes.get("enabled") or domain.enabled:
        return
    if actor.is_superuser:
        db.session.delete(row)  # a super admin vouches for the domain
        db.session.execute(
            delete(DomainCheck).where(
                DomainCheck.domain_id == domain.id, DomainCheck.check == "verification"
            )
        )
        return
    raise BadRequest(
        f"Prove that you own {domain.name} before enabling it: publish {record(domain, row)} "
        "and run the DNS check.",
        field="enabled",
    )


def alias_enabled(actor, enabled: bool) -> bool:
    """Whether a new domain alias may start enabled.

    A domain alias is a domain Postfix accepts mail for (virtual_alias_domains): without
    this, a reseller would capture gmail.com through an alias of a verified domain of theirs.
    Aliases have no proof of their own: when *actor* needs one, a super admin enables them.
    """
    return bool(enabled) and not required_for(actor)


def guard_alias_update(actor, domain_alias, changes: dict) -> None:
    """Disable a renamed alias and refuse to enable one when *actor* needs a proof."""
    if not required_for(actor):
        return
    if "name" in changes and changes["name"] != domain_alias.name:
        changes["enabled"] = False  # the new name is as unproven as a new alias
    elif changes.get("enabled") and not domain_alias.enabled:
        raise BadRequest(
            f"Only a super administrator may enable the domain alias {domain_alias.name}: "
            "domains must prove their ownership here.",
            field="enabled",
        )


def verify(domain: Domain, lookup: Lookup) -> Result | None:
    """Look for the proof of a pending domain; enable it when found. None = nothing pending."""
    row = pending(domain)
    if row is None:
        return None
    try:
        found = row.token in lookup.txt(f"{LABEL}.{domain.name}")
    except DnsUnavailable as exc:
        return Result(ERROR, f"Ownership not verified yet ({exc}). Publish:", record(domain, row))
    if not found:
        return Result(
            ERROR,
            "This domain stays disabled until you prove you own it. Publish this TXT record "
            "in its zone; the next check enables the domain:",
            record(domain, row),
        )
    domain.enabled = row.enable
    db.session.delete(row)
    audit.record(f"Domain '{domain.name}' ownership verified", action="modify", obj=domain)
    return Result(OK, "Ownership verified by the TXT record.")
