"""Where a user lands: the root URL and the page after logging in."""

from flask import redirect, url_for
from flask_login import current_user

from .. import params
from ..permissions import require


@require()
def root():
    """Send the user to their landing page."""
    return redirect(landing_url(current_user))


def landing_url(user) -> str:
    """Admins land on the dashboard; simple users on `default_top_redirection`."""
    if user.is_admin:
        return url_for("dashboard.index")
    target = params.get("core.default_top_redirection")
    if target and target != "user":
        try:
            return url_for(f"{target}.index")
        except Exception:  # noqa: BLE001 - a plugin that went away: fall back
            pass
    return url_for("user.index")
