"""The quotas list: mailboxes with their quota and usage, paginated and searched in SQL."""

from __future__ import annotations

import math

from sqlalchemy import BigInteger, cast, func, or_, select

from ... import params
from ...extensions import db
from ...models import Domain, Mailbox, Quota, User
from ...permissions import visible_mailboxes
from .keyset import prefix, terms
from .listing import Page

QUOTA_SORTS = ("address", "-address", "quota", "-quota", "usage", "-usage")


def quotas_page(user, *, search="", above=0, sort="address", page=1) -> Page:
    """A page of the mailboxes *user* may see with quota and usage (from admin_quota)."""
    mb_bytes = func.coalesce(Quota.bytes, 0)
    # MB -> bytes overflows a 32-bit integer on PostgreSQL: compute in BIGINT.
    limit = cast(Mailbox.quota, BigInteger) * 1048576
    usage = func.coalesce(mb_bytes * 100.0 / func.nullif(limit, 0), 0)
    stmt = (
        visible_mailboxes(user)
        .join(User, User.id == Mailbox.user_id)
        .outerjoin(Quota, Quota.username == User.email)
        .with_only_columns(
            Mailbox.id,
            User.id.label("user_id"),
            User.email.label("address"),
            Mailbox.quota,
            mb_bytes.label("bytes"),
            usage.label("usage"),
        )
    )
    # The count joins only what the filters need: counting the full join is a 500k-row walk.
    counted = visible_mailboxes(user).with_only_columns(func.count()).select_from(Mailbox)
    address, domain = terms(search)
    if address or domain:
        # Same prefix semantics as the identities list: address or domain name.
        matches = [prefix(User.email, address)] if address else []
        if domain:
            domains = select(Domain.id).where(prefix(Domain.name, domain))
            matches.append(Mailbox.domain_id.in_(domains))
        stmt = stmt.where(or_(*matches))
        counted = counted.join(User, User.id == Mailbox.user_id).where(or_(*matches))
    if above in (80, 90, 100):
        stmt = stmt.where(Mailbox.quota > 0, mb_bytes * 100 >= limit * above)
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    else:
        total = db.session.scalar(counted) or 0
    per_page = params.get("core.items_per_page")
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    sort = sort if sort in QUOTA_SORTS else "address"
    column = {"address": User.email, "quota": Mailbox.quota, "usage": usage}[sort.lstrip("-")]
    order = column.desc() if sort.startswith("-") else column.asc()
    rows = db.session.execute(
        stmt.order_by(order, Mailbox.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page([dict(row._mapping) for row in rows], page, per_page, total)
