"""The core tabs of the domain form and the steps of the creation wizard.

Plugins add edit tabs through `signals.extra_domain_form` and wizard steps through
`signals.extra_domain_wizard_steps`; both are `FormTab`s rendered by the same templates.
A wizard step whose form class declares `domain_types = ("relaydomain", ...)` is only
shown and saved for those types; its `save(user, domain, form)` runs after the domain
exists, in the same transaction.
"""

from __future__ import annotations

import dataclasses

from ... import signals
from ...exceptions import BadRequest
from ...extensions import db
from ...forms import FormTab
from ...models import DOMAINADMINS
from ...permissions import assignable_roles, has_perm
from ...tabs import collect_tabs
from . import services
from .forms import (
    AdminsTabForm,
    AliasesTabForm,
    GeneralStepForm,
    GeneralTabForm,
    OptionsStepForm,
    account_by_id,
    split_names,
)
from .names import display_name

CORE_TAB_IDS = ("general", "aliases", "admins")


def _general_load(user, domain):
    return {**services.snapshot(domain), "name": display_name(domain.name)}


def _general_save(user, domain, form):
    fields = ("name", "type", "quota", "default_mailbox_quota", "enabled")
    services.update_domain(user, domain, **{field: form[field].data for field in fields})


def _aliases_load(user, domain):
    entries = [
        {"id": str(a.id), "name": display_name(a.name), "enabled": a.enabled, "delete": False}
        for a in domain.aliases
    ]
    return {"entries": entries, "new": ""}


def _aliases_save(user, domain, form):
    by_id = {str(a.id): a for a in domain.aliases}
    for entry in form.entries.entries:
        domain_alias = by_id.get(entry.form.id.data)
        if domain_alias is None:
            raise BadRequest("This domain alias no longer exists: reload the page.")
        if entry.form.delete.data:
            services.delete_domain_alias(user, domain_alias)
        else:
            services.update_domain_alias(
                user, domain_alias, name=entry.form["name"].data, enabled=entry.form.enabled.data
            )
    for name in split_names(form.new.data):
        try:
            services.create_domain_alias(user, domain, name)
        except BadRequest as exc:
            exc.field = "new"
            raise
    db.session.expire(domain, ["aliases"])


def _admins_save(user, domain, form):
    for account_id in form.remove.data or ():
        services.remove_domain_admin(user, domain, account_by_id(account_id))
    account = account_by_id(form.add.data)
    if account is not None:
        services.add_domain_admin(user, domain, account)


GENERAL_TAB = FormTab(
    "general", "General", GeneralTabForm, "domains/_tab_general.html", 10,
    _general_load, _general_save,
)  # fmt: skip
ALIASES_TAB = FormTab(
    "aliases", "Domain aliases", AliasesTabForm, "domains/_tab_aliases.html", 20,
    _aliases_load, _aliases_save,
)  # fmt: skip
ADMINS_TAB = FormTab(
    "admins", "Administrators", AdminsTabForm, "domains/_tab_admins.html", 30, None, _admins_save
)


def edit_tabs(user, domain) -> list[FormTab]:
    """The tabs *user* may use on *domain*: core tabs by permission, then plugin tabs."""
    core = []
    if has_perm(user, "domains.change"):
        core.append(GENERAL_TAB)
    if has_perm(user, "domainaliases.change"):
        core.append(ALIASES_TAB)
    if user.is_superuser:
        core.append(ADMINS_TAB)
    tabs = collect_tabs(core, signals.extra_domain_form, user=user, domain=domain)
    # FillDomainInstances: plugins may hand initial data to tabs that have no loader.
    instances: dict = {}
    signals.send(signals.fill_domain_instances, user=user, domain=domain, instances=instances)
    return [
        dataclasses.replace(tab, load=_fixed(instances[tab.id]))
        if tab.load is None and tab.id in instances
        else tab
        for tab in tabs
    ]


def _fixed(data):
    return lambda user, obj: data


GENERAL_STEP = FormTab("general", "General", GeneralStepForm, "domains/_step_general.html", 10)
OPTIONS_STEP = FormTab("options", "Options", OptionsStepForm, "domains/_step_options.html", 1000)


def wizard_steps(user) -> list[FormTab]:
    """General, the plugins' steps, then Options (when *user* may create domain admins)."""
    core = [GENERAL_STEP]
    if DOMAINADMINS in assignable_roles(user):
        core.append(OPTIONS_STEP)
    return collect_tabs(core, signals.extra_domain_wizard_steps, user=user)


def step_applies(step: FormTab, domain_type: str) -> bool:
    """True when *step* is part of the wizard for *domain_type*."""
    types = getattr(step.form_class, "domain_types", None)
    return not types or domain_type in types
