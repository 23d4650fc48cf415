"""The tabbed domain form: every tab (core or plugin) saves through its own URL."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from ... import quota_pool
from ...models import Domain
from ...permissions import load
from ...tabs import bind, find_tab, save_tab
from . import bp
from .tab_defs import CORE_TAB_IDS, edit_tabs


@bp.get("/<int:domain_id>/edit")
@load(Domain, "domain_id", "domains.view")
def edit(domain):
    """Show the tabs the user may use on this domain (none for domain admins)."""
    tabs = edit_tabs(current_user, domain)
    forms = {tab.id: bind(tab, current_user, domain) for tab in tabs}
    active = request.args.get("tab") or (tabs[0].id if tabs else "")
    return render_template(
        "domains/edit.html", domain=domain, tabs=tabs, forms=forms, active=active
    )


@bp.post("/<int:domain_id>/tabs/<tab_id>")
@load(Domain, "domain_id", "domains.view")
def tab(domain, tab_id):
    """Save one tab and re-render it (200 with errors in place, or saved)."""
    current = find_tab(edit_tabs(current_user, domain), tab_id)
    if current is None:
        abort(403 if tab_id in CORE_TAB_IDS else 404)
    form = bind(current, current_user, domain, request.form)
    saved = save_tab(current, current_user, domain, form)
    warning = None
    if saved:
        form = bind(current, current_user, domain)  # show what was stored (normalised names)
        warning = quota_pool.over_allocated(domain)  # a raise is saved even when over the pool
    return render_template(
        "domains/_tab.html", domain=domain, tab=current, form=form, saved=saved, warning=warning
    )
