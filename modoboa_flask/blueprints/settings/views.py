"""The "Modoboa" area: information (index) and parameters pages; top-bar notifications."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ... import params, signals
from ...exceptions import NotFound
from ...extensions import db
from ...htmx import is_htmx
from ...permissions import require
from . import bp, info
from .forms import layout, param_form, show_errors, submitted
from .services import PERMISSION, app_params, check_ldap, save_values


def param_tab(app_name: str, label: str, level="A", user=None, formdata=None) -> dict:
    """Everything a parameters tab renders: form, visibility layout, labels."""
    definitions = app_params(app_name, level)
    values = params.values(app_name, level, user)
    form = param_form(definitions, values, app_name, formdata)
    return {
        "id": app_name,
        "title": label,
        "form": form,
        "rows": layout(definitions, values, app_name),
    }


@bp.get("/")
@require(PERMISSION)
def index():
    """Show versions of the core and plugins, the database and the Postfix maps status."""
    return render_template(
        "settings/information.html",
        versions=info.versions(),
        database=info.database(),
        maps=info.postfix_maps_status(current_app.config.get("POSTFIX_MAPS_DIR") or ""),
    )


@bp.get("/parameters")
@require(PERMISSION)
def parameters():
    """Show one tab per application (General first)."""
    tabs = [param_tab(name, label) for name, label in params.applications("A")]
    return render_template("settings/parameters.html", tabs=tabs, active=tabs[0]["id"])


@bp.post("/parameters/<app_name>")
@require(PERMISSION)
def save_parameters(app_name):
    """Save one application's tab; re-render it with errors in place or a confirmation."""
    labels = dict(params.applications("A"))
    if app_name not in labels:
        abort(404)
    tab = param_tab(app_name, labels[app_name], formdata=request.form)
    form, saved = tab["form"], False
    if form.validate():
        definitions = app_params(app_name)
        values, errors = save_values(current_user, app_name, submitted(form, definitions))
        if errors:
            db.session.rollback()
            show_errors(form, errors)
        else:
            db.session.commit()
            saved = True
            tab["rows"] = layout(definitions, values, app_name)
    if not is_htmx() and saved:
        flash("Parameters saved", "success")
        return redirect(url_for("settings.parameters"), 303)
    if not is_htmx():
        return render_template(
            "settings/parameters.html", tabs=_all_tabs(app_name, tab), active=app_name
        )
    return render_template(
        "settings/_param_form.html",
        tab=tab,
        saved=saved,
        action=url_for("settings.save_parameters", app_name=app_name),
    )


@bp.post("/parameters/ldap-check")
@require(PERMISSION)
def ldap_check():
    """Try the LDAP values of the General tab (saved or not) and report each step."""
    definitions = app_params("core")
    form = param_form(definitions, params.values("core"), "core", request.form)
    steps = check_ldap(submitted(form, definitions), request.form.get("ldap_check_user", ""))
    return render_template("settings/_ldap_check.html", steps=steps)


def _all_tabs(app_name, posted):
    return [posted if n == app_name else param_tab(n, lbl) for n, lbl in params.applications()]


@bp.get("/notifications")
@require()
def notifications():
    """Render the top-bar notifications plugins report (polled by htmx)."""
    items = signals.collect(signals.top_notifications, user=current_user, include_all=True)
    return render_template("settings/_notifications.html", items=items)


@bp.errorhandler(NotFound)
def _not_found(exc):
    abort(404)
