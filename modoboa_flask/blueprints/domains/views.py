"""Domain list, detail page and deletion."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_login import current_user

from ...bounds import query_int
from ...extensions import db
from ...forms import service_call
from ...htmx import hx_redirect, render_page_or_fragment
from ...models import Domain
from ...params import get as param
from ...permissions import load, require
from ..dns import services as dns_services
from . import bp, queries, services
from .forms import DeleteForm
from .names import display_address, display_name

bp.add_app_template_filter(display_name, "domain_name")
bp.add_app_template_filter(display_address, "address_name")


@bp.get("/")
@require("domains.view")
def index():
    """List the domains in scope, searched, filtered and sorted in SQL."""
    args = {
        "search": request.args.get("q", "").strip(),
        "domain_type": request.args.get("type", ""),
        "sort": request.args.get("sort", "name"),
    }
    stmt = queries.list_statement(current_user, **args)
    pager = db.paginate(
        stmt,
        page=query_int("page", 1),
        per_page=param("core.items_per_page"),
        error_out=False,
    )
    ids = [domain.id for domain in pager.items]
    return render_page_or_fragment(
        "domains/index.html",
        "domains/_table.html",
        pager=pager,
        stats=queries.stats_for(ids),
        aliases=queries.aliases_for(ids),
        types=services.domain_types(),
        dns=dns_services.badges_for(ids),  # stored results: no DNS query while rendering
        **args,
    )


@bp.get("/<int:domain_id>")
@load(Domain, "domain_id", "domains.view")
def detail(domain):
    """Show a domain's summary, quota usage, aliases and administrators."""
    stats = queries.stats_for([domain.id])[domain.id]
    return render_template(
        "domains/detail.html",
        domain=domain,
        stats=stats,
        admins=queries.administrators(domain),
    )


@bp.route("/<int:domain_id>/delete", methods=["GET", "POST"])
@load(Domain, "domain_id", "domains.view", perm="domains.delete")
def delete(domain):
    """Ask for confirmation, then delete the domain and everything in it."""
    form = DeleteForm()
    status = 200
    if request.method == "POST" and form.validate():
        name = display_name(domain.name)
        with service_call(form) as call:
            services.delete_domain(current_user, domain, keep_mailboxes=form.keep_mailboxes.data)
        if call.ok:
            flash(f"Domain {name} deleted.", "success")
            return hx_redirect(url_for("domains.index"))
        status = call.error.status
    return render_template("domains/delete.html", domain=domain, form=form), status
