"""The domain administrator the creation wizard can add (Options step).

`create_domain_admin` is the single place that writes the account. It stands in for
identities' `create_account(...)` (written concurrently); at merge it becomes a call to that
service, so nothing else here knows how accounts, mailboxes and aliases are stored.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select

from ... import audit, mailops, signals
from ...accounts import set_password
from ...exceptions import BadRequest, Conflict
from ...extensions import db
from ...models import DOMAINADMINS, Alias, AliasRecipient, Domain, Mailbox, User
from ...passwords import password_problems
from .names import display_address


def check_local_part(value: str) -> str:
    """A bare local part: lower-cased, no '@', no spaces."""
    local = (value or "").strip().lower()
    if not local or "@" in local or any(c.isspace() for c in local) or len(local) > 64:
        raise BadRequest("Enter a local part without '@' (for example: admin).", "admin_local_part")
    return local


def create_domain_admin(
    actor, domain: Domain, local_part: str, password: str | None, create_postmaster: bool
) -> User:
    """Create `<local_part>@<domain>` as a domain administrator with a mailbox.

    Unless the account is itself called postmaster, `postmaster@<domain>` becomes an alias
    to it (RFC 5321 wants that address to exist). Without a password the account gets an
    unusable random one until someone sets it.
    """
    local = check_local_part(local_part)
    address = f"{local}@{domain.name}"
    if db.session.scalar(select(User.id).where(User.username == address)) is not None:
        raise Conflict(f"Account {display_address(address)} already exists.", "admin_local_part")
    if password:
        problems = password_problems(password)
        if problems:
            raise BadRequest(" ".join(problems), "admin_password")
    for context in (actor, domain):
        signals.send(signals.can_create_object, context=context, object_type="mailboxes", count=1)
    account = User(
        username=address, email=address, role=DOMAINADMINS, owner_id=actor.id, is_active=True
    )
    set_password(account, password or secrets.token_urlsafe(32), is_creation=True)
    db.session.add(account)
    db.session.flush()
    mailbox = Mailbox(
        address=local,
        domain=domain,
        user_id=account.id,
        quota=domain.default_mailbox_quota,
        use_domain_quota=True,
    )
    db.session.add(mailbox)
    db.session.flush()
    self_alias = Alias(address=address, domain_id=domain.id, internal=True)
    self_alias.recipients.append(AliasRecipient(address=address, r_mailbox_id=mailbox.id))
    db.session.add(self_alias)
    mailops.ensure_quota_row(address)
    signals.send(signals.account_created, account=account, creator=actor)
    signals.send(signals.mailbox_created, user=actor, mailbox=mailbox)
    audit.record(f"Account '{address}' added", action="create", obj=account)
    if create_postmaster and local != "postmaster":
        _postmaster_alias(actor, domain, mailbox, address)
    return account


def _postmaster_alias(actor, domain: Domain, mailbox: Mailbox, target: str) -> None:
    address = f"postmaster@{domain.name}"
    exists = select(Alias.id).where(Alias.address == address, Alias.internal.is_(False))
    if db.session.scalar(exists) is not None:
        return
    for context in (actor, domain):
        signals.send(
            signals.can_create_object, context=context, object_type="mailbox_aliases", count=1
        )
    alias = Alias(address=address, domain_id=domain.id, internal=False)
    alias.recipients.append(AliasRecipient(address=target, r_mailbox_id=mailbox.id))
    db.session.add(alias)
    db.session.flush()
    signals.send(signals.mailbox_alias_created, user=actor, mailbox_alias=alias)
    audit.record(f"Alias '{address}' added", action="create", obj=alias)
