"""Domain grants of administrators: DomainAdmin rows.

`grant_domain` and `revoke_domains` are the only writers of these rows (the account's
Permissions tab, the domain's Administrators tab and the API all go through them), so
every grant and every revocation leaves an audit row on the domain.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from ... import audit, signals
from ...addresses import normalize_domain
from ...exceptions import BadRequest, PermissionDenied
from ...extensions import db
from ...models import DOMAINADMINS, RESELLERS, Domain, DomainAdmin, User
from ...permissions import is_domain_admin_of
from .common import NO_ACCESS


def set_domains(actor, account: User, names) -> None:
    """Make *names* exactly the domains *account* administers (as far as *actor* may)."""
    wanted = {normalize_domain(n, "domains") for n in (names or ()) if n and n.strip()}
    if wanted and account.role not in (DOMAINADMINS, RESELLERS):
        raise BadRequest("Only administrators can administer domains", field="domains")
    domains = {d.name: d for d in db.session.scalars(select(Domain).where(Domain.name.in_(wanted)))}
    for name in sorted(wanted - set(domains)):
        raise BadRequest(f"Local domain {name} does not exist", field="domains")
    current = dict(
        db.session.execute(
            select(Domain.name, Domain)
            .join(DomainAdmin, DomainAdmin.domain_id == Domain.id)
            .where(DomainAdmin.user_id == account.id)
        ).all()
    )
    for name in set(wanted) ^ set(current):
        if not is_domain_admin_of(actor, domains.get(name) or current[name]):
            raise PermissionDenied(NO_ACCESS, field="domains")
    for name in sorted(wanted - set(current)):
        grant_domain(domains[name], account)
    revoke_domains(account, [current[name] for name in sorted(set(current) - wanted)])


def grant_domain(domain: Domain, account: User) -> DomainAdmin:
    """Let *account* administer *domain*: the domain_admins limit, the row, an audit row.

    The caller has checked that the actor may do it and that the grant is new.
    """
    signals.send(signals.can_create_object, context=domain, object_type="domain_admins", count=1)
    grant = DomainAdmin(domain_id=domain.id, user_id=account.id)
    db.session.add(grant)
    db.session.flush()
    audit.record(
        f"{account.username} now administers domain '{domain.name}'",
        action="modify",
        obj=domain,
        changes={"administrators": [None, account.username]},
    )
    return grant


def revoke_domains(account: User, domains) -> int:
    """Stop *account* administering *domains*; one audit row per grant removed."""
    removed = 0
    for domain in domains:
        removed += db.session.execute(
            delete(DomainAdmin).where(
                DomainAdmin.user_id == account.id, DomainAdmin.domain_id == domain.id
            )
        ).rowcount
        audit.record(
            f"{account.username} no longer administers domain '{domain.name}'",
            action="modify",
            obj=domain,
            changes={"administrators": [account.username, None]},
            level="WARNING",
        )
    return removed


def administered_domain_names(account: User) -> list[str]:
    """Names of the domains *account* was granted (DomainAdmin rows)."""
    stmt = (
        select(Domain.name)
        .join(DomainAdmin, DomainAdmin.domain_id == Domain.id)
        .where(DomainAdmin.user_id == account.id)
        .order_by(Domain.name)
    )
    return list(db.session.scalars(stmt))
