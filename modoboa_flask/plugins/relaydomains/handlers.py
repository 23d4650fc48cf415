"""Signal receivers: the relay tab and step, relay events following domain events."""

from __future__ import annotations

from sqlalchemy import select

from ... import signals
from ...extensions import db
from ...forms import FormTab
from ...models import Domain, Mailbox
from . import services
from .forms import RelaySettingsForm


def _load(user, domain):
    row = services.relay_settings(domain) if domain is not None else None
    instances = {}
    if row is not None:
        instances = {
            "target_host": row.target_host,
            "target_port": row.target_port,
            "service": row.service.name,
            "verify_recipients": row.verify_recipients,
        }
    signals.send(signals.fill_relay_domain_instances, user=user, rdomain=row, instances=instances)
    return instances


def _save(user, domain, form):
    if domain.type != services.RELAY_TYPE:
        return  # the step is shown in the wizard before the type is final: nothing to do
    services.set_relay_settings(
        user,
        domain,
        target_host=form.target_host.data,
        target_port=form.target_port.data,
        service=form.service.data,
        verify_recipients=form.verify_recipients.data,
    )


RELAY_TAB = FormTab(
    "relay", "Relay settings", RelaySettingsForm, "relaydomains/_tab_relay.html", 15, _load, _save
)


def extra_domain_form(app, user=None, domain=None, **kw):
    """The Relay settings tab, for relay domains only, plus ExtraRelayDomainForm tabs."""
    if domain is None or domain.type != services.RELAY_TYPE:
        return []
    row = services.relay_settings(domain)
    return [RELAY_TAB, *signals.collect(signals.extra_relay_domain_form, user=user, rdomain=row)]


def extra_domain_wizard_steps(app, user=None, **kw):
    """The relay settings step of the creation wizard."""
    return [RELAY_TAB]


def extra_domain_types(app, **kw):
    """Offer the relay domain type."""
    return [(services.RELAY_TYPE, "Relay domain")]


def domain_modified(app, domain=None, oldname=None, **kw):
    """A relay domain changed (RelayDomainModified) or stopped being one (its row goes)."""
    row = services.relay_settings(domain)
    if row is None:
        return
    if domain.type != services.RELAY_TYPE:
        services.drop_relay_settings(domain)
    else:
        signals.send(signals.relay_domain_modified, rdomain=row, oldname=oldname)


def domain_deleted(app, domain=None, **kw):
    """RelayDomainDeleted before a relay domain goes (the row cascades with it)."""
    row = services.relay_settings(domain)
    if row is not None:
        signals.send(signals.relay_domain_deleted, rdomain=row)


def _relay_aliases(domain_alias):
    aliases = domain_alias if isinstance(domain_alias, list | tuple) else [domain_alias]
    return [a for a in aliases if a is not None and a.target.type == services.RELAY_TYPE]


def domain_alias_created(app, user=None, domain_alias=None, **kw):
    """RelayDomainAliasCreated for an alias of a relay domain."""
    for alias in _relay_aliases(domain_alias):
        signals.send(signals.relay_domain_alias_created, user=user, rdomain_alias=alias)


def domain_alias_deleted(app, domain_alias=None, **kw):
    """RelayDomainAliasDeleted for aliases of relay domains."""
    for alias in _relay_aliases(domain_alias):
        signals.send(signals.relay_domain_alias_deleted, rdomain_alias=alias)


def use_external_recipients(app, recipient=None, domain=None, **kw):
    """Recipients of relay domains without a local mailbox live elsewhere: external."""
    local, _, domain_name = (recipient or "").lower().rpartition("@")
    if domain is None:  # senders that loaded the domain pass it: no query per recipient
        domain = db.session.execute(
            select(Domain.id, Domain.type).where(Domain.name == domain_name)
        ).first()
    if domain is None or domain.type != services.RELAY_TYPE:
        return []
    # Split domains: a relay domain may hold some local mailboxes.
    local_mailbox = select(Mailbox.id).where(
        Mailbox.domain_id == domain.id, Mailbox.address == local.split("+", 1)[0]
    )
    return [] if db.session.scalar(local_mailbox) is not None else [True]
