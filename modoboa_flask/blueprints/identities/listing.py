"""The identities and quotas lists: one SQL select each, paginated and searched in SQL.

Kinds of public aliases (the `kind` filter), disjoint and checked in this order:
- forward: shares its address with a mailbox, or has no local recipient (all external);
- dlist (distribution list): otherwise, two recipients or more;
- alias: otherwise (exactly one local recipient).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Select,
    and_,
    cast,
    false,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)

from ... import params
from ...extensions import db
from ...models import (
    DOMAINADMINS,
    RESELLERS,
    SUPERADMINS,
    Alias,
    AliasRecipient,
    Domain,
    Mailbox,
    Quota,
    User,
)
from ...permissions import ROLE_LABELS, visible_accounts, visible_aliases, visible_mailboxes

KINDS = ("account", "alias", "forward", "dlist")
SORTS = ("name", "-name", "kind", "-kind")
QUOTA_SORTS = ("address", "-address", "quota", "-quota", "usage", "-usage")


@dataclass
class Page:
    """One page of rows, with what the pagination macro needs."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def _contains(column, term: str):
    """Case-insensitive substring match (LIKE is already so on SQLite and MySQL)."""
    if db.engine.dialect.name == "postgresql":
        return column.icontains(term, autoescape=True)
    return column.contains(term, autoescape=True)


def _alias_kind_conditions():
    """SQL conditions of the three alias kinds (see the module docstring)."""
    rcpt = AliasRecipient.__table__
    local_rcpt = (
        select(rcpt.c.id)
        .where(rcpt.c.alias_id == Alias.id)
        .where(or_(rcpt.c.r_mailbox_id.is_not(null()), rcpt.c.r_alias_id.is_not(null())))
        .exists()
    )
    own = Alias.__table__.alias("own")
    shares_mailbox = (
        select(own.c.id)
        .where(own.c.address == Alias.address, own.c.internal.is_(True))
        .where(~own.c.address.startswith("@"))
        .exists()
    )
    count = select(func.count(rcpt.c.id)).where(rcpt.c.alias_id == Alias.id).scalar_subquery()
    forward = or_(shares_mailbox, ~local_rcpt)
    return {
        "forward": forward,
        "dlist": and_(~forward, count >= 2),
        "alias": and_(~forward, count < 2),
    }


def _columns(kind: str, id_column, name_column):
    # Only (kind, id, name): each arm is then read from one covering index, in name order,
    # and the database merges the arms instead of sorting them (details come per page).
    return (literal(kind).label("kind"), id_column.label("id"), name_column.label("name"))


def _account_arms(user, search: str, role: str) -> list:
    base = visible_accounts(user).with_only_columns(*_columns("account", User.id, User.username))
    if role:
        base = base.where(User.is_superuser.is_(True) if role == SUPERADMINS else User.role == role)
    if not search:
        return [base]
    by_name = _contains(User.username, search)
    # Accounts found by their mailbox's domain or (administrators) their e-mail address are
    # looked up from the small side (matching domains, admin roles), never by a second scan.
    domains = select(Domain.id).where(_contains(Domain.name, search))
    by_domain = User.id.in_(select(Mailbox.user_id).where(Mailbox.domain_id.in_(domains)))
    # One equality per role: SQLite's planner uses the role index for `=`, not for `IN`.
    admins = union_all(
        *(
            select(User.id).where(User.role == role, _contains(User.email, search))
            for role in (DOMAINADMINS, RESELLERS, SUPERADMINS)
        )
    )
    return [
        base.where(by_name),
        base.where(by_domain, ~by_name),
        base.where(User.id.in_(admins), ~by_name, ~by_domain),
    ]


def _alias_arm(user, search: str, kind: str):
    stmt = (
        visible_aliases(user)
        .with_only_columns(*_columns("alias", Alias.id, Alias.address))
        .where(Alias.internal.is_(False))
    )
    if kind in ("alias", "forward", "dlist"):
        stmt = stmt.where(_alias_kind_conditions()[kind])
    if search:
        in_domains = select(Domain.id).where(_contains(Domain.name, search))
        stmt = stmt.where(or_(_contains(Alias.address, search), Alias.domain_id.in_(in_domains)))
    return stmt


def list_filters(args) -> dict:
    """The list's filters from a query string (`q`, `kind`, `role`); unknown values dropped."""
    kind, role = args.get("kind", ""), args.get("role", "")
    return {
        "search": args.get("q", ""),
        "kind": kind if kind in KINDS else "",
        "role": role if role in ROLE_LABELS else "",
    }


def _arms(user, search: str, kind: str, role: str) -> tuple[list, Select | None]:
    """(account arms, alias arm or None) selecting (kind, id, name) for these filters."""
    accounts = _account_arms(user, search, role) if kind in ("", "account") else []
    aliases = _alias_arm(user, search, kind) if kind != "account" and not role else None
    return accounts, aliases


def identity_selections(user, *, search="", kind="", role="") -> tuple[Select, Select]:
    """(account ids, alias ids) the list shows for these filters, every page (the export)."""
    accounts, aliases = _arms(user, (search or "").strip(), kind, role)
    account_ids = [arm.with_only_columns(User.id) for arm in accounts]
    if not account_ids:
        account_ids = [select(User.id).where(false())]
    return (
        union_all(*account_ids) if len(account_ids) > 1 else account_ids[0],
        aliases.with_only_columns(Alias.id)
        if aliases is not None
        else select(Alias.id).where(false()),
    )


def identities_page(user, *, search="", kind="", role="", sort="name", page=1) -> Page:
    """A page of the identities (accounts + public aliases) *user* may see."""
    search = (search or "").strip()
    account_arms, alias_arm = _arms(user, search, kind, role)
    arms = account_arms + ([alias_arm] if alias_arm is not None else [])
    per_page = params.get("core.items_per_page")
    compound = union_all(*arms)
    sort = sort if sort in SORTS else "name"
    desc = sort.startswith("-")
    keys = ["name", "kind", "id"] if sort.lstrip("-") == "name" else ["kind", "name", "id"]
    columns = compound.selected_columns
    order = [columns[k].desc() if desc else columns[k].asc() for k in keys]
    page = max(1, page)
    if search:
        # A search scans anyway: one pass gives the page and (window) the number of matches.
        counted = select(compound.subquery()).add_columns(func.count().over().label("total"))
        inner = counted.subquery()
        stmt = select(inner).order_by(*[inner.c[k].desc() if desc else inner.c[k] for k in keys])
        rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
        if not rows and page > 1:
            return identities_page(user, search=search, kind=kind, role=role, sort=sort)
        total = rows[0].total if rows else 0
    else:
        # One count per arm: an index-only count each, cheaper than counting the union.
        total = sum(
            db.session.scalar(select(func.count()).select_from(arm.subquery())) or 0 for arm in arms
        )
        page = min(page, max(1, math.ceil(total / per_page)))
        stmt = compound.order_by(*order).limit(per_page).offset((page - 1) * per_page)
        rows = db.session.execute(stmt).all()
    return Page(_decorate(rows), page, per_page, total)


def _decorate(rows) -> list[dict]:
    """Add full names (accounts) and recipients and kind (aliases): two queries at most."""
    items = [dict(row._mapping) for row in rows]
    account_ids = [i["id"] for i in items if i["kind"] == "account"]
    alias_ids = [i["id"] for i in items if i["kind"] == "alias"]
    accounts = {}
    if account_ids:
        stmt = select(User.id, User.first_name, User.last_name, User.role, User.is_active)
        accounts = {r.id: r for r in db.session.execute(stmt.where(User.id.in_(account_ids)))}
    recipients: dict[int, list] = {}
    shares: set[int] = set()
    if alias_ids:
        own = Alias.__table__.alias("own")
        stmt = (
            select(
                AliasRecipient.alias_id,
                AliasRecipient.address,
                AliasRecipient.r_mailbox_id,
                AliasRecipient.r_alias_id,
                Alias.enabled,
                own.c.id.label("own_id"),
            )
            .join(Alias, Alias.id == AliasRecipient.alias_id)
            .outerjoin(
                own,
                and_(
                    own.c.address == Alias.address,
                    own.c.internal.is_(True),
                    ~own.c.address.startswith("@"),
                ),
            )
            .where(AliasRecipient.alias_id.in_(alias_ids))
            .order_by(AliasRecipient.alias_id, AliasRecipient.address)
        )
        for row in db.session.execute(stmt):
            recipients.setdefault(row.alias_id, []).append(row)
            if row.own_id is not None:
                shares.add(row.alias_id)
    for item in items:
        if item["kind"] == "account":
            row = accounts.get(item["id"])
            item["detail"] = f"{row.first_name} {row.last_name}".strip() if row else ""
            item.update(tag="account", role=row.role if row else "", enabled=row and row.is_active)
            continue
        rcpts = recipients.get(item["id"], [])
        item.update(role="", enabled=rcpts[0].enabled if rcpts else True)
        item["detail"] = ", ".join(r.address for r in rcpts)
        local = any(r.r_mailbox_id or r.r_alias_id for r in rcpts)
        if item["id"] in shares or not local:
            item["tag"] = "forward"
        else:
            item["tag"] = "dlist" if len(rcpts) >= 2 else "alias"
    return items


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
    search = (search or "").strip()
    if search:
        stmt = stmt.where(_contains(User.email, search))
        counted = counted.join(User, User.id == Mailbox.user_id).where(
            _contains(User.email, search)
        )
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
