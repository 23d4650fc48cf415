"""Read-side queries: the paginated list with its aggregates, and the detail counters.

Counts and quota usage come from correlated SQL subqueries over the page's domain ids, so
a page costs the same number of statements whether it shows 5 rows or 500.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select

from ...exceptions import BadRequest
from ...extensions import db
from ...models import Alias, Domain, DomainAdmin, DomainAlias, Mailbox, Quota, User
from ...permissions import visible_domains
from .names import normalize_domain_name

MB = 1024 * 1024
SORTS = {"name": Domain.name.asc(), "-name": Domain.name.desc()}


@dataclass
class DomainStats:
    """Counters and quota usage of one domain."""

    mailboxes: int = 0
    aliases: int = 0
    domain_aliases: int = 0
    used_bytes: int = 0

    def used_mb(self) -> float:
        """Used space in MB (one decimal)."""
        return round(self.used_bytes / MB, 1)

    def percent(self, quota_mb: int) -> int:
        """Share of *quota_mb* in use, 0 when unlimited, capped at 100 for the bar."""
        if not quota_mb:
            return 0
        return min(100, int(self.used_bytes * 100 / (quota_mb * MB)))


def list_statement(user, search: str = "", domain_type: str = "", sort: str = "name"):
    """Select the domains *user* sees, filtered by name/alias *search* and *domain_type*."""
    stmt = visible_domains(user)
    if search:
        terms = {search.lower()}
        try:  # "pouét" typed in full also matches its stored A-label
            terms.add(normalize_domain_name(search))
        except BadRequest:  # partial input is not a full name: plain match only
            pass
        conditions = []
        for term in terms:
            conditions.append(Domain.name.contains(term, autoescape=True))
            aliased = select(DomainAlias.target_id).where(
                DomainAlias.name.contains(term, autoescape=True)
            )
            conditions.append(Domain.id.in_(aliased))
        stmt = stmt.where(or_(*conditions))
    if domain_type:
        stmt = stmt.where(Domain.type == domain_type)
    return stmt.order_by(SORTS.get(sort, SORTS["name"]), Domain.id)


def _used_bytes():
    """Correlated subquery: bytes used by the mailboxes of the outer Domain row."""
    address = Mailbox.address + "@" + Domain.name
    return (
        select(func.coalesce(func.sum(Quota.bytes), 0))
        .select_from(Mailbox)
        .join(Quota, Quota.username == address)
        .where(Mailbox.domain_id == Domain.id)
        .correlate(Domain)
        .scalar_subquery()
    )


def stats_for(domain_ids: list[int]) -> dict[int, DomainStats]:
    """Counters of several domains in one statement."""
    if not domain_ids:
        return {}

    def count(column, *conditions):
        return select(func.count(column)).where(*conditions).correlate(Domain).scalar_subquery()

    stmt = select(
        Domain.id,
        count(Mailbox.id, Mailbox.domain_id == Domain.id),
        count(Alias.id, Alias.domain_id == Domain.id, Alias.internal.is_(False)),
        count(DomainAlias.id, DomainAlias.target_id == Domain.id),
        _used_bytes(),
    ).where(Domain.id.in_(domain_ids))
    return {
        row[0]: DomainStats(int(row[1]), int(row[2]), int(row[3]), int(row[4] or 0))
        for row in db.session.execute(stmt)
    }


def aliases_for(domain_ids: list[int]) -> dict[int, list[DomainAlias]]:
    """Domain aliases of several domains in one statement, by target id."""
    result: dict[int, list[DomainAlias]] = {domain_id: [] for domain_id in domain_ids}
    if domain_ids:
        stmt = (
            select(DomainAlias)
            .where(DomainAlias.target_id.in_(domain_ids))
            .order_by(DomainAlias.name)
        )
        for domain_alias in db.session.scalars(stmt):
            result[domain_alias.target_id].append(domain_alias)
    return result


def administrators(domain: Domain) -> list[User]:
    """Accounts administering *domain*: explicit grants plus a non-super-admin owner."""
    granted = select(DomainAdmin.user_id).where(DomainAdmin.domain_id == domain.id)
    stmt = select(User).where(
        User.id.in_(granted) | (User.id == domain.owner_id), User.is_superuser.is_(False)
    )
    return list(db.session.scalars(stmt.order_by(User.username)))
