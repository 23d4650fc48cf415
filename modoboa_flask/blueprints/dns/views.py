"""The DNS tab of a domain (stored results only) and its "Check now" button."""

from __future__ import annotations

from flask import url_for
from flask_login import current_user

from ... import signals
from ...exceptions import ServiceError
from ...extensions import db
from ...htmx import is_htmx, render_page_or_fragment
from ...models import Domain
from ...permissions import load
from . import bp, services


@bp.get("/domains/<int:domain_id>")
@load(Domain, "domain_id", "domains.view")
def domain(domain):
    """Show the stored DNS checks of a domain (never queries DNS)."""
    return _render(domain)


@bp.post("/domains/<int:domain_id>/check")
@load(Domain, "domain_id", "domains.view")
def check(domain):
    """Check a domain's DNS now (once a minute at most) and show the new results."""
    try:
        outcome = services.check_now(current_user, domain)  # commits under its lock
    except ServiceError as exc:
        db.session.rollback()
        # htmx 2 drops 4xx bodies: the fragment carries the refusal with a 200.
        return _render(domain, error=exc.message, status=200 if is_htmx() else 429)
    if outcome.unreachable:
        return _render(domain, error="The DNS server did not answer: the last results are kept.")
    return _render(domain, checked=True)


def _render(domain, status=200, **extra):
    response = render_page_or_fragment(
        "dns/domain.html",
        "dns/_tab.html",
        domain=domain,
        report=services.report(domain),
        labels=services.LABELS,
        **extra,
    )
    response.status_code = status
    return response


@bp.app_template_global("dns_badge")
def dns_badge(status: str) -> tuple[str, str]:
    """The Bootstrap colour and text of a DNS status badge."""
    return {
        "ok": ("success", "DNS OK"),
        "warning": ("warning", "DNS warnings"),
        "error": ("danger", "DNS problems"),
        "unknown": ("secondary", "DNS unknown"),
        "unverified": ("danger", "Ownership not proven"),
    }.get(status, ("light", "Not checked"))


def dns_notifications(sender, *, user, **extra):
    """A top-bar entry for administrators of domains whose DNS checks fail."""
    if not user.is_admin:
        return []
    count = services.domains_with_errors(user)
    if not count:
        return []
    return [
        {
            "id": "dns",
            "url": url_for("domains.index"),
            "text": "DNS problems",
            "counter": count,
            "level": "danger",
        }
    ]


@bp.record_once
def _connect(state):
    # Per app, with a sender: only apps that register this blueprint get the entry.
    signals.top_notifications.connect(dns_notifications, sender=state.app)
