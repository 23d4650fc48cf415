"""Filter pages: the user's own (/filters/) and an administered account's (/filters/<id>/)."""

import datetime as dt

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ...exceptions import BadRequest, ServiceError
from ...extensions import db
from ...forms import EmptyForm
from ...models import User
from ...permissions import get_visible_or_404, require
from ...sieve import rules
from . import bp, services
from .forms import RawForm, VacationForm, rule_form


def route(rule: str, methods=("GET",)):
    """Register a view for the user's own filters and for an administered account's."""

    def decorator(view):
        if not getattr(view, "filters_route", False):  # stacked @route: wrap once
            view = require()(view)
            view.filters_route = True
        bp.add_url_rule(rule, view_func=view, methods=methods, defaults={"account_id": None})
        bp.add_url_rule(f"/<int:account_id>{rule}", view_func=view, methods=methods)
        return view

    return decorator


def _account(account_id):
    """The account whose filters are shown: the user's own, or one they manage (else 404)."""
    actor = current_user._get_current_object()
    account = actor if account_id is None else get_visible_or_404(actor, User, account_id)
    try:
        services.check_scope(actor, account)
    except ServiceError as exc:
        abort(exc.status, exc.message)
    return actor, account


def _page(template, account, status=200, **context):
    context.setdefault("aid", _id(account))
    return render_template(template, account=account, rules=rules, **context), status


def _error_page(account, exc: ServiceError):
    # ManageSieve down or not configured: say so in place (503), never a 500.
    if exc.status in (403, 404):
        abort(exc.status, exc.message)
    return _page("filters/index.html", account, exc.status, error=exc.message, filters=None)


def _back(account):
    return redirect(url_for("filters.index", account_id=_id(account)), 303)


def _id(account):
    return None if account.id == current_user.id else account.id


def _place_error(form, exc: ServiceError):
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors") and isinstance(target.errors, list):
        target.errors.append(exc.message)
    else:
        form.form_errors.append(exc.message)


@route("/")
def index(account_id):
    """List the rules, the out-of-office state and the script."""
    actor, account = _account(account_id)
    try:
        filters = services.load(actor, account)
    except ServiceError as exc:
        return _error_page(account, exc)
    return _page("filters/index.html", account, filters=filters, form=EmptyForm())


@route("/rules/new", methods=("GET", "POST"))
@route("/rules/<int:index>", methods=("GET", "POST"))
def rule(account_id, index=None):
    """Show and save one rule (a new one without *index*)."""
    actor, account = _account(account_id)
    try:
        current = None
        if index is not None:
            ruleset = services.load(actor, account).ruleset
            if ruleset is None:
                raise BadRequest("This script was edited by hand: use the raw editor.")
            if not 0 <= index < len(ruleset.rules):
                abort(404)
            current = ruleset.rules[index]
    except ServiceError as exc:
        return _error_page(account, exc)
    form = rule_form(current)
    if form.validate_on_submit():
        try:
            if index is None:
                services.add_rule(actor, account, form.to_rule())
            else:
                services.update_rule(actor, account, index, form.to_rule())
            db.session.commit()
            return _back(account)
        except ServiceError as exc:
            db.session.rollback()
            _place_error(form, exc)
    return _page("filters/rule.html", account, form=form, index=index)


@route("/rules/<int:index>/<any(up,down,move,enable,disable,delete):op>", methods=("POST",))
def rule_action(account_id, index, op):
    """Move, enable, disable or delete rule *index*."""
    actor, account = _account(account_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        if op in ("up", "down", "move"):
            to = {"up": index - 1, "down": index + 1}.get(op)
            to = request.form.get("to", type=int) if to is None else to
            if to is None:
                raise BadRequest("Give the new position.")
            services.move_rule(actor, account, index, to)
        elif op in ("enable", "disable"):
            services.set_rule_enabled(actor, account, index, op == "enable")
        else:
            services.delete_rule(actor, account, index)
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        return _error_page(account, exc)
    return _back(account)


@route("/raw", methods=("GET", "POST"))
def raw(account_id):
    """Edit the whole Sieve script; Dovecot's error message is shown when it refuses it."""
    actor, account = _account(account_id)
    form = RawForm()
    saved = False
    if form.validate_on_submit():
        try:
            services.save_raw(actor, account, form.script.data)
            db.session.commit()
            saved = True
        except ServiceError as exc:
            db.session.rollback()
            if exc.status >= 500:
                return _error_page(account, exc)
            _place_error(form, exc)
    if not form.is_submitted():
        try:
            form.script.data = services.load(actor, account).text
        except ServiceError as exc:
            return _error_page(account, exc)
    return _page("filters/raw.html", account, form=form, saved=saved)


@route("/rebuild", methods=("POST",))
def rebuild(account_id):
    """Replace a hand-edited script by the rules it last held."""
    actor, account = _account(account_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.rebuild(actor, account)
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        return _error_page(account, exc)
    return _back(account)


@route("/vacation", methods=("GET", "POST"))
def vacation(account_id):
    """Show and save the out-of-office reply."""
    actor, account = _account(account_id)
    form = VacationForm()
    form.addresses.choices = [SelectChoice(a, a) for a in services.vacation_addresses(account)]
    if form.validate_on_submit():
        try:
            services.set_vacation(actor, account, form.to_vacation())
            db.session.commit()
            return _back(account)
        except ServiceError as exc:
            db.session.rollback()
            if exc.status >= 500:
                return _error_page(account, exc)
            _place_error(form, exc)
    elif not form.is_submitted():
        try:
            ruleset = services.load(actor, account).ruleset
        except ServiceError as exc:
            return _error_page(account, exc)
        current = ruleset.vacation if ruleset else rules.Vacation()
        form.process(data=_vacation_data(current, account))
    return _page("filters/vacation.html", account, form=form)


def _vacation_data(current, account) -> dict:
    day = dt.date.fromisoformat
    return {
        "enabled": current.enabled, "subject": current.subject, "message": current.message,
        "days": current.days, "start": day(current.start) if current.start else None,
        "end": day(current.end) if current.end else None,
        "addresses": current.addresses or [account.mailbox.full_address],
    }  # fmt: skip
