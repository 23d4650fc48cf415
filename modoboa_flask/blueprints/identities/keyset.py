"""Keyset ("seek") pagination of the identities list, and its search conditions.

The list is ordered by (name, kind, id) or (kind, name, id), ascending or descending. A
cursor is the (kind, id, name) of a row; "the page after it" is a range condition on each
arm of the union, so the database seeks into the arm's index instead of counting OFFSET
rows (page 9,000 of 500,000 identities costs what page 2 costs). Page-number links (OFFSET)
stay for shallow pages and typed URLs.

Search is prefix-based so it can use the same indexes (see `prefix`); what a term matches
is described in docs/DEVELOPING.md ("Identities search").
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from sqlalchemy import and_, true

from ...extensions import db

PAGING = ("page", "after", "before", "last")

MAX_CHAR = 0x10FFFF


@dataclass(frozen=True)
class Cursor:
    """The sort position of one row: (kind, id, name)."""

    kind: str
    id: int
    name: str

    def encode(self) -> str:
        """The query-string form `kind:id:name` (kind and id never hold a colon)."""
        return f"{self.kind}:{self.id}:{self.name}"

    @classmethod
    def decode(cls, value: str | None) -> Cursor | None:
        """The cursor in *value*, or None when it is missing or malformed."""
        kind, _, rest = (value or "").partition(":")
        number, _, name = rest.partition(":")
        # isdigit() is true for '٣' too, and ids are 32-bit: anything else is no cursor.
        if kind not in ("account", "alias") or not name or len(name) > 254:
            return None
        if not (number.isascii() and number.isdigit()) or len(number) > 10:
            return None
        return cls(kind, int(number), name)

    @classmethod
    def of(cls, row: dict) -> Cursor:
        """The cursor of a listed row."""
        return cls(row["kind"], row["id"], row["name"])


def seek(kind: str, name_column, cursor: Cursor, sort: str, forward: bool):
    """Condition on one arm (whose rows all have *kind*) for rows after/before *cursor*.

    True: every row of the arm qualifies; False: none does (the arm is left out).

    *forward* means "after the cursor in the displayed order". Rows of one kind have unique
    names (usernames; public alias addresses), so (name, id) never ties inside an arm and a
    plain comparison on the indexed name column is exact.
    """
    descending = sort.startswith("-")
    greater = forward != descending  # we want rows that sort greater in ascending terms
    if sort.lstrip("-") == "kind":
        if kind == cursor.kind:
            return name_column > cursor.name if greater else name_column < cursor.name
        return (kind > cursor.kind) == greater
    if kind == cursor.kind:
        return name_column > cursor.name if greater else name_column < cursor.name
    # Same name, other kind: the kind decides whether the cursor's name itself qualifies.
    inclusive = (kind > cursor.kind) == greater
    if greater:
        return name_column >= cursor.name if inclusive else name_column > cursor.name
    return name_column <= cursor.name if inclusive else name_column < cursor.name


def _successor(term: str) -> str | None:
    """The smallest string greater than every string starting with *term* (None: no bound)."""
    while term and ord(term[-1]) == MAX_CHAR:
        term = term[:-1]
    if not term:
        return None
    return term[:-1] + chr(ord(term[-1]) + 1)


def prefix(column, term: str):
    """*column* starts with *term* (lower-case), in a form the column's index serves.

    SQLite compares text byte-wise (BINARY): the range [term, successor) is exact and is an
    index range, where its case-insensitive LIKE would not use the index. MariaDB's LIKE
    'term%' is an index range in its case-insensitive collation. PostgreSQL gets LIKE
    'term%' too (a range could be wrong under a linguistic collation).
    """
    if not term:
        return true()
    if db.engine.dialect.name == "sqlite":
        upper = _successor(term)
        return column >= term if upper is None else and_(column >= term, column < upper)
    return column.startswith(term, autoescape=True)


def contains(column, term: str):
    """Case-insensitive substring match, for small sets only (LIKE is so on SQLite/MySQL)."""
    if db.engine.dialect.name == "postgresql":
        return column.icontains(term, autoescape=True)
    return column.contains(term, autoescape=True)


def terms(search: str) -> tuple[str, str]:
    """(address prefix, domain prefix) of a search ('' = that part is not searched).

    'jo' looks for addresses and domains starting with 'jo'; 'jo@ex' for addresses only;
    '@ex' for domains only.
    """
    search = (search or "").strip().lower()
    if search.startswith("@") and len(search) > 1:
        return "", search[1:]
    return search, ("" if "@" in search else search)


def filters(query: dict) -> dict:
    """The list's query string without its paging keys (for sort and page links)."""
    return {k: v for k, v in query.items() if k not in PAGING and v != ""}


def page_links(page, endpoint: str, query: dict) -> dict:
    """URLs of the First/Previous/Next/Last links of *page* (None when there is none).

    Next and Previous seek from the page's last/first row, Last reads the list backwards:
    walking deep into a 500,000-row list never pays an OFFSET. Page numbers ride along
    for the "Page n of m" label only.
    """
    base = filters(query)

    def url(**extra):
        return url_for(endpoint, **base, **extra)

    if page.has_prev:
        first = url(page=1)
        prev = first if page.page <= 2 else url(before=page.prev_cursor, page=page.page - 1)
    else:
        first = prev = None
    if page.has_next:
        following = url(after=page.next_cursor, page=page.page + 1)
        last = url(last=1, page=page.pages)
    else:
        following = last = None
    return {"first": first, "prev": prev, "next": following, "last": last}
