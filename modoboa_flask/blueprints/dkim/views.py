"""The DKIM tab of a domain: enable, generate, activate, retire, check the records."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from ...exceptions import ServiceError
from ...extensions import db
from ...htmx import is_htmx, render_page_or_fragment
from ...models import Domain
from ...permissions import can_manage_dkim, get_visible_or_404, require
from ..dns import services as dns_services
from . import bp, services
from .keys import KEY_LENGTHS


@bp.get("/domains/<int:domain_id>")
@require("domains.view")
def domain(domain_id):
    """Show the domain's DKIM keys and the records to publish."""
    return _render(get_visible_or_404(current_user, Domain, domain_id))


@bp.post("/domains/<int:domain_id>/settings")
@require("domains.view")
def settings(domain_id):
    """Turn DKIM on (making the first key) or off."""
    domain = get_visible_or_404(current_user, Domain, domain_id)
    enable = request.form.get("enable_dkim") in ("1", "on", "true")

    def apply():
        services.set_enabled(current_user, domain, enable)
        if enable and not services.live_keys(domain):
            services.generate_key(
                current_user,
                domain,
                selector=request.form.get("selector"),
                key_length=request.form.get("key_length"),
            )

    return _act(domain, apply, "DKIM enabled." if enable else "DKIM disabled.")


@bp.post("/domains/<int:domain_id>/generate")
@require("domains.view")
def generate(domain_id):
    """Generate a new (pending) key for a rotation; needs confirm=1."""
    domain = get_visible_or_404(current_user, Domain, domain_id)
    form = request.form
    return _act(
        domain,
        lambda: services.generate_key(
            current_user,
            domain,
            selector=form.get("selector"),
            key_length=form.get("key_length"),
            confirm=form.get("confirm"),
        ),
        "New key generated: publish its record, then activate it once the check sees it.",
    )


ACTIVATED = (
    "The new key signs from now on; retire the previous one once mail in transit is "
    "delivered (a few days)."
)
RETIRED = "Key retired: you may now delete its DNS record."


@bp.post("/domains/<int:domain_id>/keys/<int:key_id>/activate")
@require("domains.view")
def activate(domain_id, key_id):
    """Make a published pending key the signing key; needs confirm=1."""
    return _key_action(domain_id, key_id, services.activate_key, ACTIVATED)


@bp.post("/domains/<int:domain_id>/keys/<int:key_id>/retire")
@require("domains.view")
def retire(domain_id, key_id):
    """Retire a previous key or discard a pending one; needs confirm=1."""
    return _key_action(domain_id, key_id, services.retire_key, RETIRED)


def _key_action(domain_id, key_id, service, message):
    domain = get_visible_or_404(current_user, Domain, domain_id)
    confirm = request.form.get("confirm")
    return _act(domain, lambda: service(current_user, domain, key_id, confirm=confirm), message)


@bp.post("/domains/<int:domain_id>/check")
@require("domains.view")
def check(domain_id):
    """Look the domain's DKIM records up in DNS now."""
    domain = get_visible_or_404(current_user, Domain, domain_id)
    return _act(domain, lambda: services.check_now(current_user, domain), None)


def _act(domain, action, message):
    """Run *action*, commit, and re-render the tab with *message* or the refusal."""
    try:
        action()
    except ServiceError as exc:
        db.session.rollback()
        # htmx 2 drops 4xx bodies: the fragment carries the refusal with a 200.
        status = 200 if is_htmx() else exc.status
        return _render(domain, error=exc.message, error_field=exc.field, status=status)
    db.session.commit()
    return _render(domain, message=message or _check_message(domain))


def _check_message(domain) -> str:
    return "DNS checked: " + dns_services.report(domain)["checks"]["dkim"]["message"]


def _render(domain, status=200, **extra):
    response = render_page_or_fragment(
        "dkim/domain.html",
        "dkim/_tab.html",
        domain=domain,
        dkim=services.describe(domain),
        manage=can_manage_dkim(current_user, domain),
        key_lengths=KEY_LENGTHS,
        **extra,
    )
    response.status_code = status
    return response
