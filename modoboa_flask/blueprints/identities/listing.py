"""The identities and quotas lists: one SQL select each, paginated and searched in SQL.

Kinds of public aliases (the `kind` filter), disjoint and checked in this order:
- forward: shares its address with a mailbox, or has no local recipient (all external);
- dlist (distribution list): otherwise, two recipients or more;
- alias: otherwise (exactly one local recipient).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from sqlalchemy import Select, and_, bindparam, false, func, literal, null, or_, select, union_all

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
    User,
)
from ...permissions import ROLE_LABELS, visible_accounts, visible_aliases
from .keyset import Cursor, contains, prefix, seek, terms

KINDS = ("account", "alias", "forward", "dlist")
SORTS = ("name", "-name", "kind", "-kind")


@dataclass
class Page:
    """One page of rows, with what the pagination macros need.

    Offset pages derive "is there a previous/next page" from the page number; keyset pages
    (after/before a cursor) know it from the rows they fetched (`more_before/more_after`).
    """

    items: list
    page: int
    per_page: int
    total: int
    more_before: bool | None = None
    more_after: bool | None = None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1 if self.more_before is None else self.more_before

    @property
    def has_next(self) -> bool:
        return self.page < self.pages if self.more_after is None else self.more_after

    @property
    def prev_num(self) -> int | None:
        return max(1, self.page - 1) if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def prev_cursor(self) -> str | None:
        """Cursor of the first row (the Previous link seeks before it)."""
        return Cursor.of(self.items[0]).encode() if self.has_prev and self.items else None

    @property
    def next_cursor(self) -> str | None:
        """Cursor of the last row (the Next link seeks after it)."""
        return Cursor.of(self.items[-1]).encode() if self.has_next and self.items else None


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


def _split(stmt, conditions) -> list:
    """One arm per way of matching, each excluding the earlier ones (no duplicates)."""
    arms, excluded = [], []
    for condition in conditions:
        if condition is not None:
            arms.append(stmt.where(condition, *excluded))
            excluded.append(~condition)
    return arms


def _in_domains(column, domain: str):
    return column.in_(select(Domain.id).where(prefix(Domain.name, domain)))


def _account_arms(user, search: str, role: str) -> list:
    base = visible_accounts(user).with_only_columns(*_columns("account", User.id, User.username))
    if role:
        base = base.where(User.is_superuser.is_(True) if role == SUPERADMINS else User.role == role)
    address, domain = terms(search)
    if not (address or domain):
        return [base]
    # Accounts found by their mailbox's domain are looked up from the matching domains.
    by_domain = None
    if domain:
        by_domain = User.id.in_(
            select(Mailbox.user_id).where(_in_domains(Mailbox.domain_id, domain))
        )
    # Administrators are few: any part of their username or e-mail matches (one equality per
    # role: SQLite's planner uses the role index for `=`, not for `IN`).
    term = search.strip().lower()
    admins = union_all(
        *(
            select(User.id).where(
                User.role == r, or_(contains(User.email, term), contains(User.username, term))
            )
            for r in (DOMAINADMINS, RESELLERS, SUPERADMINS)
        )
    )
    by_name = prefix(User.username, address) if address else None
    return _split(base, [by_name, by_domain, User.id.in_(admins)])


def _alias_arms(user, search: str, kind: str) -> list:
    stmt = (
        visible_aliases(user)
        .with_only_columns(*_columns("alias", Alias.id, Alias.address))
        .where(Alias.internal.is_(False))
    )
    if kind in ("alias", "forward", "dlist"):
        stmt = stmt.where(_alias_kind_conditions()[kind])
    address, domain = terms(search)
    if not (address or domain):
        return [stmt]
    by_address = prefix(Alias.address, address) if address else None
    by_domain = _in_domains(Alias.domain_id, domain) if domain else None
    return _split(stmt, [by_address, by_domain])


def _arms(user, search, kind, role) -> list[tuple]:
    """(kind, name column, select) of every arm of the union."""
    arms = []
    if kind in ("", "account"):
        arms += [("account", User.username, a) for a in _account_arms(user, search, role)]
    if kind != "account" and not role:
        arms += [("alias", Alias.address, a) for a in _alias_arms(user, search, kind)]
    return arms


def list_filters(args) -> dict:
    """The list's filters from a query string (`q`, `kind`, `role`); unknown values dropped."""
    kind, role = args.get("kind", ""), args.get("role", "")
    return {
        "search": args.get("q", ""),
        "kind": kind if kind in KINDS else "",
        "role": role if role in ROLE_LABELS else "",
    }


def identity_selections(user, *, search="", kind="", role="") -> tuple[Select, Select]:
    """(account ids, alias ids) the list shows for these filters, every page (the export)."""
    arms = _arms(user, (search or "").strip(), kind, role)

    def ids(wanted: str, column) -> Select:
        parts = [stmt.with_only_columns(column) for k, _c, stmt in arms if k == wanted]
        if not parts:
            return select(column).where(false())
        return union_all(*parts) if len(parts) > 1 else parts[0]

    return ids("account", User.id), ids("alias", Alias.id)


def _count(stmt):
    """`SELECT count(*)` with *stmt*'s FROM and WHERE (no derived table)."""
    return stmt.with_only_columns(func.count(), maintain_column_froms=True)


def _total(arms: list, combined: bool) -> int:
    """Rows in all *arms*: index-only counts or ranges.

    Unfiltered arms are counted one statement each: SQLite counts a whole index by its
    pages, but walks every entry when the count is a subquery of a combined statement.
    A search's arms are small ranges: one statement for all saves round trips.
    """
    if not arms:
        return 0
    if combined:
        return sum(db.session.execute(select(*(_count(a).scalar_subquery() for a in arms))).one())
    return sum(db.session.scalar(_count(stmt)) or 0 for stmt in arms)


def _fetch(arms, sort: str, reverse: bool, limit: int, offset: int = 0) -> list:
    """Rows of the union of *arms* in *sort* order (or its reverse), as dicts."""
    if not arms:
        return []
    compound = union_all(*(stmt for _kind, _column, stmt in arms))
    descending = sort.startswith("-") != reverse
    keys = ["name", "kind", "id"] if sort.lstrip("-") == "name" else ["kind", "name", "id"]
    columns = compound.selected_columns
    order = [columns[k].desc() if descending else columns[k].asc() for k in keys]
    stmt = compound.order_by(*order).limit(limit).offset(offset)
    return [dict(row._mapping) for row in db.session.execute(stmt)]


def _seek(arms, cursor: Cursor, sort: str, forward: bool) -> list:
    """The arms restricted to the rows after (forward) or before *cursor*."""
    found = []
    for kind, column, stmt in arms:
        condition = seek(kind, column, cursor, sort, forward)
        if condition is True:
            found.append((kind, column, stmt))
        elif condition is not False:
            found.append((kind, column, stmt.where(condition)))
    return found


def identities_page(
    user, *, search="", kind="", role="", sort="name", page=1, after=None, before=None, last=False
) -> Page:
    """A page of the identities (accounts + public aliases) *user* may see.

    *after*/*before* (encoded cursors) ask for the page after/before a row, *last* for the
    last page: keyset pages, as fast deep in the list as at its start. Otherwise *page* is
    read with OFFSET. *page* is then only the number shown ("Page 9 of 20").
    """
    arms = _arms(user, search, kind, role)
    sort = sort if sort in SORTS else "name"
    per_page = params.get("core.items_per_page")
    total = _total([stmt for _kind, _column, stmt in arms], combined=bool(search.strip()))
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    after, before = Cursor.decode(after), Cursor.decode(before)
    more_before = more_after = None
    if last:
        rows = _fetch(arms, sort, True, per_page)[::-1]
        page, more_before, more_after = pages, total > len(rows), False
    elif after is not None:
        rows = _fetch(_seek(arms, after, sort, True), sort, False, per_page + 1)
        page, more_before, more_after = max(page, 2), True, len(rows) > per_page
        rows = rows[:per_page]
    elif before is not None:
        rows = _fetch(_seek(arms, before, sort, False), sort, True, per_page + 1)
        if len(rows) > per_page:
            page, more_before, more_after = min(max(page, 2), pages), True, True
            rows = rows[:per_page][::-1]
        else:  # fewer than a page before the cursor: that is the first page
            page, rows = 1, _fetch(arms, sort, False, per_page)
    else:
        rows = _fetch(arms, sort, False, per_page, (page - 1) * per_page)
    return Page(_decorate(rows), page, per_page, total, more_before, more_after)


@functools.cache
def _detail_statements():
    """The two per-page detail queries, built once (rebuilding them cost more than running)."""
    ids = bindparam("ids", expanding=True)
    accounts = select(User.id, User.first_name, User.last_name, User.role, User.is_active)
    own = Alias.__table__.alias("own")
    recipients = (
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
        .where(AliasRecipient.alias_id.in_(ids))
        .order_by(AliasRecipient.alias_id, AliasRecipient.address)
    )
    return accounts.where(User.id.in_(ids)), recipients


def _decorate(items: list[dict]) -> list[dict]:
    """Add full names (accounts) and recipients and kind (aliases): two queries at most."""
    account_ids = [i["id"] for i in items if i["kind"] == "account"]
    alias_ids = [i["id"] for i in items if i["kind"] == "alias"]
    account_stmt, recipient_stmt = _detail_statements()
    accounts = {}
    if account_ids:
        found = db.session.execute(account_stmt, {"ids": account_ids})
        accounts = {r.id: r for r in found}
    recipients: dict[int, list] = {}
    shares: set[int] = set()
    if alias_ids:
        for row in db.session.execute(recipient_stmt, {"ids": alias_ids}):
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
