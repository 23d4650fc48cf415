"""Template globals: permission checks, menus and vendored asset paths."""

import glob
import os

from flask import url_for
from flask_login import current_user

from .. import params, signals
from ..htmx import is_htmx
from ..permissions import ROLE_LABELS, has_perm


def init_app(app):
    """Expose can(), menus and vendored asset URLs to every template."""
    static = app.static_folder

    found: dict[str, str] = {}

    def vendor(pattern: str) -> str:
        # The vendored files only change with a deployment: glob once per pattern (each page
        # render asked the filesystem three times), except in debug mode.
        if pattern not in found or app.debug:
            matches = sorted(glob.glob(os.path.join(static, "vendor", pattern)))
            found[pattern] = os.path.relpath(matches[-1], static) if matches else ""
        return url_for("static", filename=found[pattern]) if found[pattern] else ""

    app.jinja_env.globals.update(
        can=lambda perm: has_perm(current_user, perm),
        vendor=vendor,
        role_label=lambda role: ROLE_LABELS.get(role, role),
        is_htmx=is_htmx,
    )

    @app.context_processor
    def menus():
        if not current_user.is_authenticated:
            return {"url_rules": app.view_functions}
        return {
            "url_rules": app.view_functions,
            "extra_top_menu": signals.collect(
                signals.admin_menu_display, target="top_menu", user=current_user
            )
            + signals.collect(signals.user_menu_display, target="top_menu", user=current_user),
            "extra_options_menu": signals.collect(
                signals.user_menu_display, target="options_menu", user=current_user
            ),
            "uprefs_menu": signals.collect(
                signals.user_menu_display, target="uprefs_menu", user=current_user
            ),
            "extra_css": signals.collect(
                signals.get_static_content, caller="top", st_type="css", user=current_user
            ),
            "extra_js": signals.collect(
                signals.get_static_content, caller="top", st_type="js", user=current_user
            ),
            "notifications_interval": params.get("core.top_notifications_check_interval"),
        }
