"""The account form's core tabs (General, Mail, Permissions) and plugin tabs."""

from __future__ import annotations

from ... import signals, tabs
from ...forms import FormTab
from ...models import DOMAINADMINS, RESELLERS, SIMPLEUSERS
from . import services
from .forms import AccountGeneralForm, AccountPermissionsForm, lines, mail_form_class


def _load_general(user, account):
    return {
        "role": account.role,
        "username": account.username,
        "first_name": account.first_name,
        "last_name": account.last_name,
        "is_active": account.is_active,
        "master_user": account.master_user,
    }


def _save_general(user, account, form):
    changes = {
        "username": form.username.data,
        "first_name": form.first_name.data,
        "last_name": form.last_name.data,
        "is_active": form.is_active.data,
    }
    if "role" in form:
        changes["role"] = form.role.data
    if "master_user" in form:
        changes["master_user"] = form.master_user.data
    if form.password.data:
        changes["password"] = form.password.data
    services.update_account(user, account, **changes)


def _load_mail(user, account):
    mailbox = account.mailbox
    if mailbox is None:
        return {"email": account.email, "use_domain_quota": True}
    return {
        "email": mailbox.full_address,
        "quota": mailbox.quota,
        "use_domain_quota": mailbox.use_domain_quota,
        "aliases": "\n".join(services.mailbox_alias_addresses(mailbox)),
        "sender_addresses": "\n".join(s.address for s in mailbox.sender_addresses),
    }


def mail_changes(form, role) -> dict:
    """update_account/create_account keyword arguments from a Mail tab form."""
    changes = {
        "quota": None if form.use_domain_quota.data else form.quota.data,
        "aliases": lines(form.aliases.data),
        "sender_addresses": lines(form.sender_addresses.data),
    }
    if role != SIMPLEUSERS:  # a simple user's address is its username (General tab)
        changes["email"] = (form.email.data or "").strip()
    return changes


def _save_mail(user, account, form):
    services.update_account(user, account, **mail_changes(form, account.role))
    if account.mailbox is not None:
        signals.send(
            signals.save_extra_form_fields,
            form_name="mailform",
            instance=account.mailbox,
            values=form.extra_values(),
        )


def _load_permissions(user, account):
    return {"domains": "\n".join(services.administered_domain_names(account))}


def _save_permissions(user, account, form):
    services.update_account(user, account, domains=lines(form.domains.data))


def account_tabs(user, account) -> list[FormTab]:
    """Tabs shown to *user* editing *account* (plugin tabs filtered by CheckExtraAccountForm)."""
    core = [
        FormTab(
            "general",
            "General",
            AccountGeneralForm,
            "identities/_tab_general.html",
            10,
            _load_general,
            _save_general,
        ),
        FormTab(
            "mail",
            "Mail",
            mail_form_class(account.mailbox),
            "identities/_tab_mail.html",
            20,
            _load_mail,
            _save_mail,
        ),
    ]
    if user.is_superuser and account.role in (DOMAINADMINS, RESELLERS) and user.id != account.id:
        core.append(
            FormTab(
                "permissions",
                "Permissions",
                AccountPermissionsForm,
                "identities/_tab_permissions.html",
                30,
                _load_permissions,
                _save_permissions,
            )
        )
    collected = tabs.collect_tabs(core, signals.extra_account_form, user=user, account=account)
    return [
        tab
        for tab in collected
        if tab in core
        or all(signals.collect(signals.check_extra_account_form, account=account, form=tab))
    ]
