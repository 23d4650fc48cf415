"""Settings > Filters: Sieve rules and out-of-office of a mailbox, kept in ManageSieve."""

from flask import Blueprint, url_for

from ... import signals

bp = Blueprint("filters", __name__)


def account_actions(sender, *, account, **extra):
    """Offer "Filters" on the edit page of an account that has a mailbox."""
    if account.mailbox is None:
        return []
    url = url_for("filters.index", account_id=account.id)
    return [{"name": "filters", "url": url, "title": "Filters and out of office"}]


# Connected per app (sender=app), like plugins: only where this blueprint is registered.
bp.record_once(
    lambda state: signals.extra_account_actions.connect(account_actions, sender=state.app)
)

from . import views  # noqa: E402,F401
