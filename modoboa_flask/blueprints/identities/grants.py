"""Domain grants of administrators (the Permissions tab): DomainAdmin rows."""

from __future__ import annotations

from sqlalchemy import delete, select

from ... import signals
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
        signals.send(
            signals.can_create_object, context=domains[name], object_type="domain_admins", count=1
        )
        db.session.add(DomainAdmin(domain_id=domains[name].id, user_id=account.id))
    removed = [current[name].id for name in set(current) - wanted]
    if removed:
        db.session.execute(
            delete(DomainAdmin).where(
                DomainAdmin.user_id == account.id, DomainAdmin.domain_id.in_(removed)
            )
        )


def administered_domain_names(account: User) -> list[str]:
    """Names of the domains *account* was granted (DomainAdmin rows)."""
    stmt = (
        select(Domain.name)
        .join(DomainAdmin, DomainAdmin.domain_id == Domain.id)
        .where(DomainAdmin.user_id == account.id)
        .order_by(Domain.name)
    )
    return list(db.session.scalars(stmt))
