"""The small list of a domain's aliases (edited through the aliases tab)."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ...models import Domain
from ...permissions import load
from ...tabs import bind, find_tab
from . import bp
from .tab_defs import edit_tabs


@bp.get("/<int:domain_id>/aliases")
@load(Domain, "domain_id", "domains.view")
def aliases(domain):
    """List a domain's aliases, with the editing form for those allowed to change them."""
    tab = find_tab(edit_tabs(current_user, domain), "aliases")
    form = bind(tab, current_user, domain) if tab else None
    return render_template("domains/aliases.html", domain=domain, tab=tab, form=form)
