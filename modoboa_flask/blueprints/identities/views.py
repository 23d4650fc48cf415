"""Identities and quotas lists."""

from flask import render_template, request
from flask_login import current_user

from ...bounds import query_int
from ...htmx import render_page_or_fragment
from ...models import DOMAINADMINS, RESELLERS, SIMPLEUSERS, SUPERADMINS
from ...permissions import ROLE_LABELS, require
from . import bp
from .keyset import filters, page_links
from .listing import KINDS, identities_page, list_filters
from .quotas import quotas_page

ROLE_FILTERS = [(r, ROLE_LABELS[r]) for r in (SUPERADMINS, RESELLERS, DOMAINADMINS, SIMPLEUSERS)]


def service_error(exc, template="errors/_fragment.html"):
    """Answer a refused operation with its message and status (htmx swaps 4xx here)."""
    return render_template(template, code=exc.status, message=exc.message), exc.status


@bp.get("/")
@require("accounts.view")
def index():
    """List accounts and aliases, searched, filtered and sorted by the query string."""
    args = {**list_filters(request.args), "sort": request.args.get("sort", "name")}
    rows = identities_page(
        current_user,
        page=query_int("page", 1),
        after=request.args.get("after"),
        before=request.args.get("before"),
        last=request.args.get("last") == "1",
        **args,
    )
    return render_page_or_fragment(
        "identities/index.html",
        "identities/_table.html",
        rows=rows,
        args=args,
        query=filters(request.args.to_dict()),
        links=page_links(rows, "identities.index", request.args.to_dict()),
        kinds=KINDS,
        roles=ROLE_FILTERS,
    )


@bp.get("/quotas")
@require("mailboxes.view")
def quotas():
    """List mailboxes with their quota and usage; filter those above 80/90/100 %."""
    args = {
        "search": request.args.get("q", ""),
        "above": query_int("above", 0, minimum=0),
        "sort": request.args.get("sort", "address"),
    }
    rows = quotas_page(current_user, page=query_int("page", 1), **args)
    return render_page_or_fragment(
        "identities/quotas.html", "identities/_quotas_table.html", rows=rows, args=args
    )
