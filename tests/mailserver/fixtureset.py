"""The mail-server fixture set: one database state every Postfix and Dovecot test reads.

Built through the app's own services, as an administrator would through the pages:
domains and domain aliases (domains.services), accounts, aliases, the forward, the extra
sender address and the pending rename (identities.services), relay settings (the relay
domains plugin). `EXPECTED` lists what every map must answer.
"""

from __future__ import annotations

from datetime import timedelta

from modoboa_flask import params
from modoboa_flask.accounts import first_superuser
from modoboa_flask.blueprints.domains import services as domains
from modoboa_flask.blueprints.identities import services as identities
from modoboa_flask.extensions import db
from modoboa_flask.models import utcnow
from modoboa_flask.passwords import SCHEME_CHOICES, hash_password
from modoboa_flask.plugins.relaydomains.services import set_relay_settings

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
    ("sql-mailboxes.cf", "user@example.com"): "user@example.com",
    ("sql-mailboxes.cf", "USER@Example.com"): "user@example.com",
    ("sql-mailboxes.cf", "off@example.com"): None,  # disabled account
    ("sql-mailboxes.cf", "user@disabled.org"): None,  # disabled domain
    ("sql-mailboxes.cf", "nobody@example.com"): None,
    ("sql-mailboxes.cf", "local@relay.tld"): None,  # relay domains are not virtual domains
    ("sql-disabled-mailboxes.cf", "off@example.com"): "550 5.2.1 Mailbox disabled",
    ("sql-disabled-mailboxes.cf", "user@example.com"): None,
    ("sql-disabled-mailboxes.cf", "nobody@example.com"): None,
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


def scheme_accounts() -> dict[str, str]:
    """{password scheme parameter value: address} of the one-account-per-scheme set."""
    return {scheme: f"s-{scheme}@example.com" for scheme in SCHEME_CHOICES}


def _account(actor, address, **fields):
    return identities.create_account(actor, username=address, password=PASSWORD, **fields)


def build() -> dict:
    """Create the fixture set in the current app's database; return names tests need."""
    actor = first_superuser()
    # Room for every mailbox below at 10 MB: the pool binds super admins too (quota_pool.py).
    example = domains.create_domain(actor, name="example.com", quota=500, default_mailbox_quota=10)
    disabled = domains.create_domain(actor, name="disabled.org", enabled=False)
    relay = domains.create_domain(actor, name="relay.tld", type="relaydomain")
    relay2 = domains.create_domain(actor, name="relay2.tld", type="relaydomain")
    domains.create_domain_alias(actor, example, "alias.net")
    domains.create_domain_alias(actor, example, "offalias.net", enabled=False)
    domains.create_domain_alias(actor, disabled, "disalias.net")

    user = _account(actor, "user@example.com", quota=10)
    _account(actor, "off@example.com", is_active=False)
    _account(actor, "user@disabled.org")
    fwd = _account(actor, "fwd@example.com")
    before = _account(actor, "before@example.com")
    _account(actor, "local@relay.tld")  # a split domain: this one is delivered locally
    for scheme, address in scheme_accounts().items():
        # Cheap rounds: Dovecot verifies each hash in the auth tests.
        identities.create_account(
            actor, username=address, password_hash=hash_password(PASSWORD, scheme, 5000)
        )

    def alias(address, recipients, **fields):
        identities.create_alias(actor, address=address, recipients=recipients, **fields)

    alias("list@example.com", ["user@example.com", "ext@remote.test"])
    alias("offlist@example.com", ["user@example.com"], enabled=False)
    yesterday, tomorrow = utcnow() - timedelta(days=1), utcnow() + timedelta(days=1)
    alias("old@example.com", ["user@example.com"], expire_at=yesterday)
    alias("later@example.com", ["user@example.com"], expire_at=tomorrow)
    alias("@example.com", ["user@example.com"])
    identities.set_forward(actor, fwd, ["far@elsewhere.test"], keep_copy=True)
    identities.update_account(actor, user, sender_addresses=["boss@example.com"])

    set_relay_settings(
        actor,
        relay,
        target_host="mx.relay.tld",
        target_port=2525,
        service="relay",
        verify_recipients=True,
    )
    set_relay_settings(actor, relay2, target_host="192.0.2.25", service="smtp")

    # A pending rename: with handle_mailboxes on, renaming before@ to moved@ queues the
    # maildir move, and sql-maintain.cf answers 450 for moved@ until it is done.
    handled = params.get("admin.handle_mailboxes")
    params.set("admin.handle_mailboxes", "yes")
    identities.update_account(actor, before, username="moved@example.com")
    params.set("admin.handle_mailboxes", "yes" if handled else "no")
    db.session.commit()
    return {"example_id": example.id, "disabled_id": disabled.id, "relay_id": relay.id}
