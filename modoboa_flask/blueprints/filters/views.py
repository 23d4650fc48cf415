"""Filter pages: the user's own (/filters/) and an administered account's (/filters/<id>/)."""

import datetime as dt

from flask import abort, g, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ...exceptions import ServiceError
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
    services.check_scope(actor, account)  # a refusal goes to service_error below
    g.filters_account = account
    return actor, account


def _page(template, account, status=200, **context):
    context.setdefault("aid", _id(account))
    return render_template(template, account=account, rules=rules, **context), status


@bp.errorhandler(ServiceError)
def service_error(exc: ServiceError):
    """Show a refusal the page cannot place on a field (ManageSieve down: 503, never 500)."""
    db.session.rollback()
    account = g.get("filters_account")
    if exc.status in (403, 404) or account is None:
        return render_template(
            "errors/error.html", code=exc.status, message=exc.message
        ), exc.status
    return _page("filters/index.html", account, exc.status, error=exc.message, filters=None)


def _save(form, call) -> bool:
    """Run a service call and commit; a refusal goes on *form*'s field, or to the page."""
    try:
        call()
        db.session.commit()
        return True
    except ServiceError as exc:
        db.session.rollback()
        if form is None or exc.status >= 500:
            raise
        _place_error(form, exc)
        return False


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


def _posted_button():
    if not EmptyForm().validate_on_submit():
        abort(400)


@route("/")
def index(account_id):
    """List the rules, the out-of-office state and the script."""
    actor, account = _account(account_id)
    filters = services.load(actor, account)
    return _page("filters/index.html", account, filters=filters, form=EmptyForm())


@route("/rules/new", methods=("GET", "POST"))
@route("/rules/<int:index>", methods=("GET", "POST"))
def rule(account_id, index=None):
    """Show and save one rule (a new one without *index*)."""
    actor, account = _account(account_id)
    current = None
    if index is not None:
        current = services.get_rule(actor, account, index)
    form = rule_form(current)
    if form.validate_on_submit():
        if index is None:
            saved = _save(form, lambda: services.add_rule(actor, account, form.to_rule()))
        else:
            saved = _save(form, lambda: services.update_rule(actor, account, index, form.to_rule()))
        if saved:
            return _back(account)
    return _page("filters/rule.html", account, form=form, index=index)


@route("/rules/<int:index>/<any(up,down,move,enable,disable,delete):op>", methods=("POST",))
def rule_action(account_id, index, op):
    """Move, enable, disable or delete rule *index*."""
    actor, account = _account(account_id)
    _posted_button()
    if op in ("up", "down", "move"):
        to = {"up": index - 1, "down": index + 1}.get(op)
        to = request.form.get("to", type=int) if to is None else to
        if to is None:
            abort(400, "Give the new position.")
        _save(None, lambda: services.move_rule(actor, account, index, to))
    elif op in ("enable", "disable"):
        _save(None, lambda: services.set_rule_enabled(actor, account, index, op == "enable"))
    else:
        _save(None, lambda: services.delete_rule(actor, account, index))
    return _back(account)


@route("/raw", methods=("GET", "POST"))
def raw(account_id):
    """Edit the whole Sieve script; Dovecot's error message is shown when it refuses it."""
    actor, account = _account(account_id)
    form = RawForm()
    saved = form.validate_on_submit() and _save(
        form, lambda: services.save_raw(actor, account, form.script.data)
    )
    if not form.is_submitted():
        form.script.data = services.load(actor, account).text
    return _page("filters/raw.html", account, form=form, saved=saved)


@route("/rebuild", methods=("POST",))
def rebuild(account_id):
    """Replace a hand-edited script by the rules it last held."""
    actor, account = _account(account_id)
    _posted_button()
    _save(None, lambda: services.rebuild(actor, account))
    return _back(account)


@route("/vacation", methods=("GET", "POST"))
def vacation(account_id):
    """Show and save the out-of-office reply."""
    actor, account = _account(account_id)
    form = VacationForm()
    form.addresses.choices = [SelectChoice(a, a) for a in services.vacation_addresses(account)]
    if form.validate_on_submit():
        if _save(form, lambda: services.set_vacation(actor, account, form.to_vacation())):
            return _back(account)
    elif not form.is_submitted():
        ruleset = services.load(actor, account).ruleset
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
