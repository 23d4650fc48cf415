"""The mail-server fixture set: one database state every Postfix and Dovecot test reads.

Built through the app's own services where they exist in main: the relay settings go
through `plugins.relaydomains.services.set_relay_settings`. Domains, domain aliases,
mailboxes, aliases, forwards and sender addresses are written with tests/factories.py and
the `_alias` helper below, mirroring the domains/identities service contracts of
docs/DEVELOPING.md (LEAD: switch every `SWITCH:` line to those services once they are in
main: create_domain, create_domain_alias, create_account, create_alias, set_forward,
update_account). `EXPECTED` lists what every map must answer.
"""

from __future__ import annotations

from datetime import timedelta

from modoboa_flask import mailops
from modoboa_flask.accounts import first_superuser
from modoboa_flask.extensions import db
from modoboa_flask.models import (
    Alias,
    AliasRecipient,
    Domain,
    Mailbox,
    MailboxOperation,
    SenderAddress,
    User,
    utcnow,
)
from modoboa_flask.passwords import SCHEME_CHOICES, hash_password
from modoboa_flask.plugins.relaydomains.services import set_relay_settings
from tests import factories

PASSWORD = "Toto1234"
LMTP = "lmtp:unix:private/dovecot-lmtp"
MAINTAIN = "450 Requested mail action not taken: mailbox unavailable"

# (map file, key) -> expected answer: a set of addresses (alias maps return "a,b" in any
# order), a plain string, or None for "not found".
EXPECTED = {
    ("sql-domains.cf", "example.com"): "example.com",
    ("sql-domains.cf", "EXAMPLE.COM"): "example.com",  # postmap folds the key's case
    ("sql-domains.cf", "disabled.org"): None,
    ("sql-domains.cf", "relay.tld"): None,  # a relay domain is no mailbox domain
    ("sql-domains.cf", "alias.net"): None,
    ("sql-domains.cf", "x' OR '1'='1"): None,  # Postfix quotes %s
    ("sql-domain-aliases.cf", "alias.net"): "example.com",
    ("sql-domain-aliases.cf", "offalias.net"): None,  # disabled domain alias
    ("sql-domain-aliases.cf", "disalias.net"): None,  # alias of a disabled domain
    ("sql-domain-aliases.cf", "example.com"): None,
    ("sql-aliases.cf", "user@example.com"): {"user@example.com"},
    ("sql-aliases.cf", "list@example.com"): {"user@example.com", "ext@remote.test"},
    ("sql-aliases.cf", "old@example.com"): None,  # expired
    ("sql-aliases.cf", "later@example.com"): {"user@example.com"},  # expires tomorrow
    ("sql-aliases.cf", "offlist@example.com"): None,  # disabled alias
    ("sql-aliases.cf", "@example.com"): {"user@example.com"},  # catch-all
    ("sql-aliases.cf", "@alias.net"): {"@example.com"},  # domain alias mapping
    ("sql-aliases.cf", "fwd@example.com"): {"fwd@example.com", "far@elsewhere.test"},
    ("sql-aliases.cf", "nobody@example.com"): None,
    ("sql-maintain.cf", "moved@example.com"): MAINTAIN,
    ("sql-maintain.cf", "user@example.com"): None,
    ("sql-sender-login-mailboxes.cf", "user@example.com"): "user@example.com",
    ("sql-sender-login-mailboxes.cf", "off@example.com"): None,  # disabled account
    ("sql-sender-login-mailboxes.cf", "nobody@example.com"): None,
    ("sql-sender-login-aliases.cf", "list@example.com"): "user@example.com",
    ("sql-sender-login-aliases.cf", "@example.com"): "user@example.com",
    ("sql-sender-login-aliases.cf", "offlist@example.com"): None,
    ("sql-sender-login-mailboxes-extra.cf", "boss@example.com"): "user@example.com",
    ("sql-sender-login-mailboxes-extra.cf", "user@example.com"): None,
    ("sql-relaydomains.cf", "relay.tld"): "relay.tld",
    ("sql-relaydomains.cf", "relay2.tld"): "relay2.tld",
    ("sql-relaydomains.cf", "example.com"): None,
    ("sql-relaydomains-transport.cf", "relay.tld"): "relay:[mx.relay.tld]:2525",
    ("sql-relaydomains-transport.cf", "relay2.tld"): "smtp:[192.0.2.25]:25",
    ("sql-relaydomains-transport.cf", "example.com"): None,
    ("sql-spliteddomains-transport.cf", "local@relay.tld"): LMTP,
    ("sql-spliteddomains-transport.cf", "other@relay.tld"): None,
    ("sql-spliteddomains-transport.cf", "user@example.com"): None,
    ("sql-relay-recipient-verification.cf", "anyone@relay.tld"): "reject_unverified_recipient",
    ("sql-relay-recipient-verification.cf", "anyone@relay2.tld"): None,
    ("sql-relay-recipient-verification.cf", "user@example.com"): None,
}


def _alias(address, recipients, *, domain_id, enabled=True, expire_at=None) -> int:
    """SWITCH: identities.services.create_alias(actor, address=, recipients=, ...)."""
    alias = Alias(address=address, domain_id=domain_id, enabled=enabled, expire_at=expire_at)
    for recipient in recipients:
        mailbox = _mailbox_of(recipient)
        alias.recipients.append(
            AliasRecipient(address=recipient, r_mailbox_id=mailbox.id if mailbox else None)
        )
    db.session.add(alias)
    db.session.commit()
    return alias.id


def _mailbox_of(address: str) -> Mailbox | None:
    user = db.session.scalar(db.select(User).where(User.email == address))
    return user.mailbox if user is not None else None


def _domain_alias(name, target_id, enabled=True) -> None:
    """SWITCH: domains.services.create_domain_alias (adds the internal @alias -> @domain)."""
    from modoboa_flask.models import DomainAlias

    target = db.session.get(Domain, target_id)
    db.session.add(DomainAlias(name=name, target_id=target_id, enabled=enabled))
    alias = Alias(address=f"@{name}", domain_id=target_id, internal=True)
    alias.recipients.append(AliasRecipient(address=f"@{target.name}"))
    db.session.add(alias)
    db.session.commit()


def scheme_accounts() -> dict[str, str]:
    """{password scheme parameter value: address} of the one-account-per-scheme set."""
    return {scheme: f"s-{scheme}@example.com" for scheme in SCHEME_CHOICES}


def build() -> dict:
    """Create the fixture set in the current app's database; return names tests need."""
    actor = first_superuser()
    # SWITCH: domains.services.create_domain(actor, name=..., type=..., enabled=...)
    example = factories.make_domain("example.com", quota=100, default_mailbox_quota=10)
    disabled = factories.make_domain("disabled.org", enabled=False)
    relay = factories.make_domain("relay.tld", type="relaydomain")
    relay2 = factories.make_domain("relay2.tld", type="relaydomain")
    _domain_alias("alias.net", example)
    _domain_alias("offalias.net", example, enabled=False)
    _domain_alias("disalias.net", disabled)

    # SWITCH: identities.services.create_account(actor, username=..., email=..., quota=...)
    factories.make_mailbox(example, "user", quota=10, password=PASSWORD)
    factories.make_mailbox(example, "off", password=PASSWORD, is_active=False)
    factories.make_mailbox(disabled, "user", password=PASSWORD)
    factories.make_mailbox(example, "fwd", password=PASSWORD)
    moved = factories.make_mailbox(example, "moved", password=PASSWORD)
    factories.make_mailbox(relay, "local", password=PASSWORD)
    for scheme, address in scheme_accounts().items():
        uid = factories.make_mailbox(example, address.split("@")[0])
        # Cheap rounds: Dovecot verifies each hash in the auth tests.
        db.session.get(User, uid).password = hash_password(PASSWORD, scheme, 5000)
    db.session.commit()

    _alias("list@example.com", ["user@example.com", "ext@remote.test"], domain_id=example)
    _alias("offlist@example.com", ["user@example.com"], domain_id=example, enabled=False)
    yesterday, tomorrow = utcnow() - timedelta(days=1), utcnow() + timedelta(days=1)
    _alias("old@example.com", ["user@example.com"], domain_id=example, expire_at=yesterday)
    _alias("later@example.com", ["user@example.com"], domain_id=example, expire_at=tomorrow)
    _alias("@example.com", ["user@example.com"], domain_id=example)
    # SWITCH: identities.services.set_forward(actor, fwd, ["far@elsewhere.test"], keep_copy=True)
    _alias("fwd@example.com", ["far@elsewhere.test", "fwd@example.com"], domain_id=example)
    # SWITCH: update_account(actor, user, sender_addresses=["boss@example.com"])
    db.session.add(
        SenderAddress(address="boss@example.com", mailbox_id=_mailbox_of("user@example.com").id)
    )

    set_relay_settings(
        actor,
        db.session.get(Domain, relay),
        target_host="mx.relay.tld",
        target_port=2525,
        service="relay",
        verify_recipients=True,
    )
    set_relay_settings(
        actor, db.session.get(Domain, relay2), target_host="192.0.2.25", service="smtp"
    )

    # A pending rename: moved@example.com was renamed from "before" (sql-maintain answers 450).
    # SWITCH: identities.services.update_account(actor, moved, username="moved@...") with
    # admin.handle_mailboxes on queues the same operation.
    mailbox = db.session.get(User, moved).mailbox
    db.session.add(
        MailboxOperation(
            mailbox_id=mailbox.id, type="rename", argument=mailops.mail_home("before@example.com")
        )
    )
    db.session.commit()
    return {"example_id": example, "disabled_id": disabled, "relay_id": relay}
