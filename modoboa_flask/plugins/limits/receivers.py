"""Signal receivers of the limits plugin (connected with sender=app by load())."""

from __future__ import annotations

from ... import signals
from ...models import DOMAINADMINS, RESELLERS, SIMPLEUSERS
from . import forms, services


def on_can_create_object(sender, *, context, object_type, count=1, **extra):
    """Refuse a creation over the context's limit (LimitReached)."""
    services.check(context, object_type, count)


@signals.accepts_batch("account")
def on_account_created(sender, *, account, creator=None, **extra):
    """Create the new account's (or a list of new accounts') limit rows."""
    services.create_user_limits(account, creator)


def on_domain_created(sender, *, domain, user=None, **extra):
    """Create the new domain's limit rows."""
    services.create_domain_limits(domain)


def on_user_can_set_role(sender, *, user, role, account=None, **extra):
    """Veto DomainAdmins when the reseller's `domain_admins` limit is exhausted."""
    if role != DOMAINADMINS or user.is_superuser or user.role != RESELLERS:
        return [True]
    if account is not None and account.role == DOMAINADMINS:
        return [True]
    return [not services.is_exceeded(user, "domain_admins")]


def on_account_deleted(sender, *, account, **extra):
    """Give a deleted admin's limits back to its reseller."""
    services.return_to_pool(account)


def on_role_changed(sender, *, account, role, **extra):
    """Give a demoted admin's limits back to its reseller (sent before the change)."""
    if role == SIMPLEUSERS and account.role in (DOMAINADMINS, RESELLERS):
        services.return_to_pool(account)


def on_account_modified(sender, *, oldaccount, newaccount, **extra):
    """Same as on_role_changed for services that report the change afterwards."""
    old_role = (oldaccount or {}).get("role")
    if old_role in (DOMAINADMINS, RESELLERS) and newaccount.role == SIMPLEUSERS:
        services.return_to_pool(newaccount)  # idempotent: rows were zeroed the first time


def on_extra_account_form(sender, *, user, account, **extra):
    """Offer the Resources tab on accounts."""
    return forms.account_tab(user, account)


def on_extra_domain_form(sender, *, user, domain, **extra):
    """Offer the Resources tab on domains."""
    return forms.domain_tab(user, domain)


CONNECTIONS = (
    (signals.can_create_object, on_can_create_object),
    (signals.account_created, on_account_created),
    (signals.domain_created, on_domain_created),
    (signals.user_can_set_role, on_user_can_set_role),
    (signals.account_deleted, on_account_deleted),
    (signals.role_changed, on_role_changed),
    (signals.account_modified, on_account_modified),
    (signals.extra_account_form, on_extra_account_form),
    (signals.extra_domain_form, on_extra_domain_form),
)


def connect(app) -> None:
    """Connect every receiver for *app* only."""
    for signal, receiver in CONNECTIONS:
        signal.connect(receiver, sender=app)
