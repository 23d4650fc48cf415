"""Account pages: create (General + Mail in one form), edit in tabs, delete."""

from flask import abort, render_template, request, url_for
from flask_login import current_user

from ... import mailops, signals, tabs
from ...exceptions import ServiceError
from ...extensions import db
from ...forms import service_call
from ...htmx import hx_redirect
from ...models import User
from ...permissions import can_manage_account, load, require
from . import bp, services
from .account_tabs import account_tabs, mail_changes
from .forms import AccountGeneralForm, DeleteAccountForm, mail_form_class
from .views import service_error


@bp.route("/accounts/new", methods=["GET", "POST"])
@require("accounts.add")
def account_new():
    """Create an account; the General and Mail tabs post together."""
    formdata = request.form if request.method == "POST" else None
    general = AccountGeneralForm(formdata=formdata, prefix="general")
    general.setup(current_user, None, creating=True)
    mail = mail_form_class(None)(formdata=formdata, prefix="mail")
    if request.method == "POST" and general.validate() & mail.validate():
        role = general.role.data if "role" in general else "SimpleUsers"
        with service_call(general, mail) as call:
            account = services.create_account(
                current_user,
                username=general.username.data,
                role=role,
                password=general.password.data,
                first_name=general.first_name.data,
                last_name=general.last_name.data,
                is_active=general.is_active.data,
                master_user="master_user" in general and general.master_user.data,
                **mail_changes(mail, role),
            )
        if call.ok:
            return hx_redirect(url_for("identities.account_edit", account_id=account.id))
    return render_template("identities/account_new.html", general=general, mail=mail)


@bp.get("/accounts/<int:account_id>")
@load(User, "account_id", "accounts.view")
def account_edit(account):
    """Show the account's tabs."""
    tab_list = account_tabs(current_user, account)
    signals.send(
        signals.fill_account_instances,
        user=current_user,
        account=account,
        instances={tab.id: account for tab in tab_list},
    )
    forms = {tab.id: tabs.bind(tab, current_user, account) for tab in tab_list}
    actions = signals.collect(signals.extra_account_actions, account=account)
    active = request.args.get("tab", "general")
    return render_template(
        "identities/account_edit.html",
        account=account,
        tabs=tab_list,
        forms=forms,
        active=active,
        actions=actions,
        delete_form=DeleteAccountForm(),
        operations=mailops.pending_operations(account.mailbox),
        manageable=can_manage_account(current_user, account),
    )


@bp.post("/accounts/<int:account_id>/tab/<tab_id>")
@load(User, "account_id", "accounts.change", manage=True)
def account_tab(account, tab_id):
    """Save one tab and re-render it (200 with errors in place)."""
    tab = tabs.find_tab(account_tabs(current_user, account), tab_id)
    if tab is None:
        abort(404)
    form = tabs.bind(tab, current_user, account, formdata=request.form)
    saved = tabs.save_tab(tab, current_user, account, form)
    if saved:  # re-read what was stored (e.g. lower-cased addresses)
        form = tabs.bind(tab, current_user, account)
    return render_template("identities/_tab.html", tab=tab, form=form, account=account, saved=saved)


@bp.post("/accounts/<int:account_id>/delete")
@load(User, "account_id", "accounts.delete")
def account_delete(account):
    """Delete the account (keeping its mailbox directory when asked)."""
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.delete_account(current_user, account, keep_mb_dir=form.keepdir.data)
    except ServiceError as exc:
        db.session.rollback()
        return service_error(exc)
    db.session.commit()
    return hx_redirect(url_for("identities.index"))
