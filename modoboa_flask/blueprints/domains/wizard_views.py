"""The domain creation wizard: General, plugin steps, Options, submitted at once."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_login import current_user

from ...forms import service_call
from ...htmx import hx_redirect, render_page_or_fragment
from ...permissions import require
from ...tabs import bind
from . import bp, services
from .forms import split_names
from .names import display_name
from .tab_defs import step_applies, wizard_steps


@bp.route("/new", methods=["GET", "POST"])
@require("domains.add")
def create():
    """Show the wizard (re-rendered when the type changes) or create the domain."""
    formdata = request.form if request.method == "POST" else (request.args or None)
    steps = wizard_steps(current_user)
    forms = {step.id: bind(step, current_user, None, formdata) for step in steps}
    steps = [step for step in steps if step_applies(step, forms["general"].type.data)]
    # "rerender" = the type changed: show the steps of the new type, create nothing yet.
    if request.method == "POST" and not request.form.get("rerender"):
        valid = [forms[step.id].validate() for step in steps]  # every step shows its errors
        if all(valid):
            # A refusal goes on its field in whichever step holds it, else on General.
            with service_call(forms["general"], *(forms[s.id] for s in steps)) as call:
                domain = _create(steps, forms)
            if call.ok:
                flash(f"Domain {display_name(domain.name)} created.", "success")
                return hx_redirect(url_for("domains.detail", domain_id=domain.id))
    active = next((step.id for step in steps if forms[step.id].errors), "general")
    return render_page_or_fragment(
        "domains/create.html", "domains/_wizard.html", steps=steps, forms=forms, active=active
    )


def _create(steps, forms):
    general, options = forms["general"], forms.get("options")
    domain = services.create_domain(
        current_user,
        name=general["name"].data,
        type=general.type.data,
        quota=general.quota.data,
        default_mailbox_quota=general.default_mailbox_quota.data,
        enabled=general.enabled.data,
        aliases=split_names(general.aliases.data),
        create_admin=bool(options and options.create_admin.data),
        admin_local_part=options.admin_local_part.data if options else "admin",
        create_postmaster=bool(options and options.create_postmaster.data),
        admin_password=(options.admin_password.data or None) if options else None,
    )
    for step in steps:
        if step.save is not None:  # plugin steps (relay settings...) save into the new domain
            step.save(current_user, domain, forms[step.id])
    return domain
