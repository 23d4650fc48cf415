"""Settings > Preferences: the per-user parameters, one tab per application."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ... import params
from ...extensions import db
from ...htmx import is_htmx
from ...permissions import require
from ..settings.forms import layout, show_errors, submitted
from ..settings.services import app_params, save_values
from ..settings.views import param_tab
from . import bp


def _tabs(posted=None):
    me = current_user._get_current_object()
    return [
        posted if posted and posted["id"] == name else param_tab(name, label, "U", me)
        for name, label in params.applications("U")
    ]


@bp.get("/preferences")
@require()
def preferences():
    """Show the current user's preferences, one tab per application."""
    tabs = _tabs()
    return render_template(
        "user/preferences.html", tabs=tabs, active=tabs[0]["id"] if tabs else None
    )


@bp.post("/preferences/<app_name>")
@require()
def save_preferences(app_name):
    """Save one tab of the current user's preferences; errors are shown in place."""
    labels = dict(params.applications("U"))
    if app_name not in labels:
        abort(404)
    me = current_user._get_current_object()
    tab = param_tab(app_name, labels[app_name], "U", me, formdata=request.form)
    saved = False
    if tab["form"].validate():
        definitions = app_params(app_name, "U")
        values, errors = save_values(me, app_name, submitted(tab["form"], definitions), user=me)
        if errors:
            db.session.rollback()
            show_errors(tab["form"], errors)
        else:
            db.session.commit()
            saved, tab["rows"] = True, layout(definitions, values, app_name)
    if not is_htmx():
        if saved:
            flash("Preferences saved", "success")
            return redirect(url_for("user.preferences"), 303)
        return render_template("user/preferences.html", tabs=_tabs(tab), active=app_name)
    action = url_for("user.save_preferences", app_name=app_name)
    return render_template(
        "settings/_param_form.html", tab=tab, saved=saved, action=action,
        saved_message="Preferences saved",
    )  # fmt: skip
