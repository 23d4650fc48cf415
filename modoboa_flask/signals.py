"""Plugin hooks: every event of Modoboa's "Supported events" list as a blinker signal.

Signals are sent with the application as sender (never the proxy), so a plugin that connects
with ``sender=app`` only hears the app it was loaded into. The names are Modoboa's event names;
the ``doc`` says which keyword arguments are sent and what receivers return.
"""

from blinker import Namespace
from flask import current_app

_hooks = Namespace()


def _signal(name: str, doc: str):
    return _hooks.signal(name, doc=doc)


# --- accounts -----------------------------------------------------------------------------
account_auto_created = _signal("AccountAutoCreated", "kwargs: account. Return ignored.")
account_created = _signal(
    "AccountCreated",
    "kwargs: account, creator. Return ignored. Receivers marked @accepts_batch('account') "
    "may get a list of accounts in one call (the batched CSV import).",
)
account_deleted = _signal(
    "AccountDeleted",
    "kwargs: account, byuser, keep_mb_dir. Sent before the delete. Return ignored.",
)
account_exported = _signal(
    "AccountExported", "kwargs: account. Return list[str]: extra CSV columns."
)
account_imported = _signal(
    "AccountImported", "kwargs: user, account, row (fields after the 8th). Return ignored."
)
account_modified = _signal(
    "AccountModified", "kwargs: oldaccount (dict of old values), newaccount. Return ignored."
)
password_updated = _signal(
    "PasswordUpdated", "kwargs: account, raw_password, is_creation. Return ignored."
)
password_change = _signal(
    "PasswordChange", "kwargs: user. Return [True] to forbid changing this user's password."
)
role_changed = _signal(
    "RoleChanged", "kwargs: account, role (the new one). Sent before the change."
)
user_can_set_role = _signal(
    "UserCanSetRole", "kwargs: user, role, account (None on creation). Return [False] to veto."
)
get_extra_roles = _signal(
    "GetExtraRoles", "kwargs: user, account. Return list[(value, label)] of extra roles."
)
get_extra_role_permissions = _signal(
    "GetExtraRolePermissions", "kwargs: rolename. Return list[str] of permission codes."
)
extra_account_actions = _signal(
    "ExtraAccountActions", "kwargs: account. Return list[dict(name, url, title)] of row actions."
)
extra_account_form = _signal(
    "ExtraAccountForm", "kwargs: user, account. Return list[FormTab] for the account form."
)
check_extra_account_form = _signal(
    "CheckExtraAccountForm", "kwargs: account, form (FormTab). Return [bool]: tab applies."
)
fill_account_instances = _signal(
    "FillAccountInstances", "kwargs: user, account, instances (dict to fill by tab id)."
)
extra_form_fields = _signal(
    "ExtraFormFields",
    "kwargs: form_name ('mailform'), instance. Return list[(name, wtforms unbound field)].",
)
save_extra_form_fields = _signal(
    "SaveExtraFormFields", "kwargs: form_name, instance, values (dict). Return ignored."
)

# --- domains ------------------------------------------------------------------------------
domain_created = _signal("DomainCreated", "kwargs: user (creator), domain. Return ignored.")
domain_modified = _signal(
    "DomainModified", "kwargs: domain, oldname (name before the change). Return ignored."
)
domain_deleted = _signal("DomainDeleted", "kwargs: domain. Sent before the delete.")
domain_ownership_removed = _signal(
    "DomainOwnershipRemoved", "kwargs: owner, domain. Sent before the owner loses the domain."
)
domain_alias_created = _signal("DomainAliasCreated", "kwargs: user, domain_alias.")
domain_alias_deleted = _signal(
    "DomainAliasDeleted", "kwargs: domain_alias (one, or a list). Sent before the delete."
)
check_domain_name = _signal(
    "CheckDomainName",
    "no kwargs. Return list[(callable(name) -> bool, label)]: other owners of domain names.",
)
extra_domain_form = _signal(
    "ExtraDomainForm", "kwargs: user, domain (None on create). Return list[FormTab]."
)
fill_domain_instances = _signal(
    "FillDomainInstances", "kwargs: user, domain, instances (dict to fill by tab id)."
)
extra_domain_types = _signal("ExtraDomainTypes", "no kwargs. Return list[(value, label)].")
extra_domain_wizard_steps = _signal(
    "ExtraDomainWizardSteps", "kwargs: user. Return list[FormTab] shown when creating a domain."
)

# --- relay domains ------------------------------------------------------------------------
relay_domain_created = _signal("RelayDomainCreated", "kwargs: user, rdomain.")
relay_domain_modified = _signal("RelayDomainModified", "kwargs: rdomain, oldname.")
relay_domain_deleted = _signal("RelayDomainDeleted", "kwargs: rdomain. Sent before the delete.")
relay_domain_alias_created = _signal("RelayDomainAliasCreated", "kwargs: user, rdomain_alias.")
relay_domain_alias_deleted = _signal("RelayDomainAliasDeleted", "kwargs: rdomain_alias.")
extra_relay_domain_form = _signal(
    "ExtraRelayDomainForm", "kwargs: user, rdomain. Return list[FormTab]."
)
fill_relay_domain_instances = _signal(
    "FillRelayDomainInstances", "kwargs: user, rdomain, instances (dict to fill)."
)

# --- mailboxes and aliases ----------------------------------------------------------------
mailbox_created = _signal("MailboxCreated", "kwargs: user (creator), mailbox.")
mailbox_modified = _signal(
    "MailboxModified", "kwargs: mailbox, old_full_address (None when unchanged)."
)
mailbox_deleted = _signal("MailboxDeleted", "kwargs: mailbox (one, or a list). Sent before.")
mailbox_alias_created = _signal("MailboxAliasCreated", "kwargs: user, mailbox_alias.")
mailbox_alias_deleted = _signal(
    "MailboxAliasDeleted", "kwargs: mailbox_alias (one, or a list). Sent before the delete."
)
use_external_recipients = _signal(
    "UseExternalRecipients",
    "kwargs: recipient (address), domain (its Domain when the sender has it loaded, else "
    "absent). Return [True] to store it as external.",
)

# --- import, export, limits ---------------------------------------------------------------
import_object = _signal(
    "ImportObject", "kwargs: objtype. Return list[callable(user, row, formopts)]."
)
get_extra_limit_templates = _signal(
    "GetExtraLimitTemplates", "no kwargs. Return list[(name, label, help_text)]."
)
can_create_object = _signal(
    "CanCreateObject",
    "kwargs: context (User or Domain), object_type (limit name), count. "
    "Raise LimitReached to refuse; return ignored.",
)

# --- UI hooks -----------------------------------------------------------------------------
admin_menu_display = _signal(
    "AdminMenuDisplay", "kwargs: target ('top_menu'|'admin_menu_box'), user. Return menu dicts."
)
user_menu_display = _signal(
    "UserMenuDisplay",
    "kwargs: target ('options_menu'|'uprefs_menu'|'top_menu'), user. "
    "Return list[dict(name, label, url)].",
)
get_static_content = _signal(
    "GetStaticContent", "kwargs: caller, st_type ('css'|'js'), user. Return list[str] URLs."
)
get_announcement = _signal("GetAnnouncement", "kwargs: target ('loginpage'). Return list[str].")
top_notifications = _signal(
    "TopNotifications",
    "kwargs: user, include_all. Return list[dict(id, url, text[, counter, level])].",
)
get_extra_parameters = _signal(
    "GetExtraParameters", "kwargs: application, level ('A'|'U'). Return list[Param]."
)

# --- session and lifecycle ----------------------------------------------------------------
user_login = _signal("UserLogin", "kwargs: request, username, password. Return ignored.")
user_logout = _signal("UserLogout", "kwargs: request. Return ignored.")
initial_data_loaded = _signal("InitialDataLoaded", "kwargs: extname. Return ignored.")
register_postfix_maps = _signal(
    "RegisterPostfixMaps", "no kwargs. Return list of map definitions for generate-postfix-maps."
)


def send(signal, **kwargs) -> list:
    """Send *signal* from the current app; return the raw (receiver, value) pairs."""
    app = current_app._get_current_object()  # never send the proxy
    return signal.send(app, **kwargs)


def collect(signal, **kwargs) -> list:
    """Send *signal* from the current app and flatten the lists receivers return."""
    return [item for _receiver, items in send(signal, **kwargs) for item in items or ()]


def accepts_batch(kwarg: str):
    """Mark a receiver that also takes a list of objects in *kwarg* (see send_each)."""

    def mark(receiver):
        receiver.batch_kwarg = kwarg
        return receiver

    return mark


def send_each(signal, kwarg: str, objects: list, **kwargs) -> None:
    """Send *signal* once per object of *objects* (passed as *kwarg*), for bulk writers.

    A receiver marked ``@accepts_batch(kwarg)`` is called once with the whole list instead
    (e.g. the limits plugin inserts every new account's limit rows in one statement). Each
    receiver sees every object; the order is receiver by receiver, not object by object.
    """
    if not objects:
        return
    app = current_app._get_current_object()
    for receiver in list(signal.receivers_for(app)):
        if getattr(receiver, "batch_kwarg", None) == kwarg:
            receiver(app, **{kwarg: list(objects)}, **kwargs)
        else:
            for obj in objects:
                receiver(app, **{kwarg: obj}, **kwargs)


def all_signals() -> dict:
    """Every declared hook by its Modoboa event name."""
    return dict(_hooks)
