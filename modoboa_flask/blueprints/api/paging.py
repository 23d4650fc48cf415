"""Lists: a bare JSON array, optionally one page of it (`?page=&page_size=`) and `?search=`.

Without paging parameters the whole (filtered) list comes back, as in Modoboa 1.6. With them,
the body is still a bare array; the total travels in `X-Total-Count` and the neighbours in
`Link` headers (RFC 8288), so old clients and large installations both work.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import request
from sqlalchemy import func, or_, select

from ... import params
from ...bounds import INT32
from ...extensions import db
from .errors import APIError, json_response
from .registry import int_arg

MAX_PAGE_SIZE = 1000
PAGING_QUERY = [
    (
        "page",
        {"type": "integer", "minimum": 1, "maximum": INT32[1]},
        False,
        "Page number (1 = first).",
    ),
    (
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        False,
        "Items per page (default: the items_per_page parameter).",
    ),
    (
        "search",
        {"type": "string", "maxLength": 254},
        False,
        "Keep items containing this text (case-insensitive).",
    ),
]
LIST_HEADERS = {
    "X-Total-Count": {"description": "Total number of items (paged requests only).",
                      "schema": {"type": "integer"}},
    "Link": {"description": "first/prev/next/last pages (paged requests only).",
             "schema": {"type": "string"}},
}  # fmt: skip


def search_filter(stmt, columns):
    """Add `?search=` (substring, case-insensitive, wildcards escaped) over *columns*."""
    raw = request.args.get("search", "")
    if len(raw) > 254:
        raise APIError(400, {"search": ["Ensure this value has no more than 254 characters."]})
    term = raw.strip()
    if not term:
        return stmt
    pattern = "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern += "%"
    return stmt.where(or_(*[func.lower(col).like(pattern, escape="\\") for col in columns]))


def list_response(stmt, *, order_by, search=(), serialize):
    """Answer the list *stmt* (an ORM select), searched, ordered, maybe paged, serialized in
    one batch (*serialize* takes the rows and returns JSON-ready items)."""
    stmt = search_filter(stmt, search)
    paged = "page" in request.args or "page_size" in request.args
    page = int_arg("page", default=1, maximum=INT32[1])  # OFFSET stays within 64 bits
    size = int_arg(
        "page_size",
        default=min(params.get("core.items_per_page"), MAX_PAGE_SIZE),
        maximum=MAX_PAGE_SIZE,
    )
    if not paged:
        rows = db.session.scalars(stmt.order_by(*order_by)).unique().all()
        return json_response(serialize(rows))
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = (
        db.session.scalars(stmt.order_by(*order_by).limit(size).offset((page - 1) * size))
        .unique()
        .all()
    )
    return json_response(serialize(rows), headers=_headers(total, page, size))


def _headers(total: int, page: int, size: int) -> dict:
    last = max(1, -(-total // size))
    links = {"first": 1, "last": last}
    if page > 1:
        links["prev"] = min(page - 1, last)
    if page < last:
        links["next"] = page + 1
    base = request.base_url
    args = {k: v for k, v in request.args.items() if k not in ("page", "page_size")}
    parts = [
        f'<{base}?{urlencode({**args, "page": number, "page_size": size})}>; rel="{rel}"'
        for rel, number in links.items()
    ]
    return {"X-Total-Count": str(total), "Link": ", ".join(parts)}
