"""Set-based SQL for the two operations that touch every row of a domain: rename, delete.

Both run inside the caller's transaction (services never commit), so Postfix and Dovecot
see either the old domain or the new one, never a mix.
"""

from __future__ import annotations

from sqlalchemy import delete, func, or_, select, update

from ... import audit, mailops, params
from ...exceptions import Conflict
from ...extensions import db
from ...models import (
    Alias,
    AliasRecipient,
    Domain,
    Mailbox,
    MailboxOperation,
    Quota,
    SenderAddress,
    User,
)
from ...permissions import can_access
from .names import display_address

_NO_SYNC = {"synchronize_session": False}


def _in_domain(column, name: str):
    """`column` is an address of domain *name* (or the catch-all `@name` itself)."""
    return column.endswith(f"@{name}", autoescape=True)


def _renamed(column, old: str, new: str):
    # An address holds a single "@": replacing "@old" can only touch its domain part.
    return func.replace(column, f"@{old}", f"@{new}")


def rename_domain_rows(domain: Domain, old: str, new: str, actor=None) -> None:
    """Rename the addresses of *domain*'s own rows from @old to @new (domain.name is set).

    Every statement is scoped by the domain's id (its aliases, its mailboxes and their
    accounts, recipient rows linked to those): an address that merely ends in "@old" but
    belongs to another tenant (an admin named "boss@old" whose mailbox is elsewhere, another
    domain's mailbox allowed to send as "x@old") is left alone.
    """
    clash = db.session.scalar(select(User).where(_in_domain(User.username, new)).limit(1))
    if clash is not None:
        if actor is None or can_access(actor, clash):
            raise Conflict(f"An account {display_address(clash.username)} already exists.",
                           field="name")  # fmt: skip
        # No existence oracle: another tenant's account is not named to this actor.
        raise Conflict("This name is not available.", field="name")
    db.session.flush()
    mailbox_ids = select(Mailbox.id).where(Mailbox.domain_id == domain.id)
    account_ids = select(Mailbox.user_id).where(Mailbox.domain_id == domain.id)
    alias_ids = select(Alias.id).where(Alias.domain_id == domain.id)
    statements = [
        update(Alias)
        .where(Alias.domain_id == domain.id, _in_domain(Alias.address, old))
        .values(address=_renamed(Alias.address, old, new)),
        # Recipients pointing at this domain's mailboxes or aliases wherever they are (an
        # unlinked "x@old" in another tenant's alias is that tenant's text), and this
        # domain's own aliases' recipients (the "@alias -> @old" mappings).
        update(AliasRecipient)
        .where(
            _in_domain(AliasRecipient.address, old),
            or_(
                AliasRecipient.r_mailbox_id.in_(mailbox_ids),
                AliasRecipient.r_alias_id.in_(alias_ids),
                AliasRecipient.alias_id.in_(alias_ids),
            ),
        )
        .values(address=_renamed(AliasRecipient.address, old, new)),
        update(User)
        .where(User.id.in_(account_ids), _in_domain(User.username, old))
        .values(username=_renamed(User.username, old, new)),
        update(User)
        .where(User.id.in_(account_ids), _in_domain(User.email, old))
        .values(email=_renamed(User.email, old, new)),
        update(SenderAddress)
        .where(SenderAddress.mailbox_id.in_(mailbox_ids), _in_domain(SenderAddress.address, old))
        .values(address=_renamed(SenderAddress.address, old, new)),
        # Quota rows are keyed by mailbox address: "@old" ones are exactly this domain's.
        # Stale usage rows under the new name would block the move (primary key).
        delete(Quota).where(_in_domain(Quota.username, new)),
        update(Quota)
        .where(_in_domain(Quota.username, old))
        .values(username=_renamed(Quota.username, old, new)),
    ]
    for statement in statements:
        db.session.execute(statement.execution_options(**_NO_SYNC))
    if params.get("admin.handle_mailboxes"):
        mailboxes = db.session.scalars(select(Mailbox).where(Mailbox.domain_id == domain.id))
        for mailbox in mailboxes:
            mailops.schedule_rename(mailbox, f"{mailbox.address}@{old}")
    _expire_loaded()
    revoke_foreign_senders(new, domain.id)


def revoke_foreign_senders(name: str, domain_id: int) -> None:
    """Drop the grants to send as "x@<name>" of mailboxes outside domain *domain_id*.

    Called when *name* becomes hosted (a new domain, a domain alias, a rename), so that it
    belongs to *domain_id*'s tenant: such a grant was given while the address was external
    (anyone may plant one), and would let another tenant's mailbox send as this domain,
    signed by its DKIM key.
    """
    foreign = select(Mailbox.id).where(Mailbox.domain_id != domain_id)
    stmt = delete(SenderAddress).where(
        _in_domain(SenderAddress.address, name), SenderAddress.mailbox_id.in_(foreign)
    )
    revoked = db.session.execute(stmt.execution_options(**_NO_SYNC)).rowcount
    if revoked:
        audit.record(
            f"{revoked} sender address grant(s) in '{name}' of mailboxes of other domains revoked",
            action="delete",
            level="WARNING",
        )
        _expire_loaded()


def delete_domain_rows(domain: Domain, *, keep_mailboxes: bool, remove_accounts: bool) -> None:
    """Delete the aliases, mailboxes, quota rows (and accounts) of *domain*, then the domain."""
    mailbox_ids = select(Mailbox.id).where(Mailbox.domain_id == domain.id)
    if not keep_mailboxes and params.get("admin.handle_mailboxes"):
        for mailbox in db.session.scalars(select(Mailbox).where(Mailbox.domain_id == domain.id)):
            mailops.schedule_delete(mailbox, keep_dir=False)
    db.session.flush()
    statements = [
        delete(Quota).where(_in_domain(Quota.username, domain.name)),
        delete(AliasRecipient).where(AliasRecipient.r_mailbox_id.in_(mailbox_ids)),
        delete(AliasRecipient).where(
            AliasRecipient.r_alias_id.in_(select(Alias.id).where(Alias.domain_id == domain.id))
        ),
        delete(AliasRecipient).where(
            AliasRecipient.alias_id.in_(select(Alias.id).where(Alias.domain_id == domain.id))
        ),
        delete(Alias).where(Alias.domain_id == domain.id),
        delete(SenderAddress).where(SenderAddress.mailbox_id.in_(mailbox_ids)),
        update(MailboxOperation)
        .where(MailboxOperation.mailbox_id.in_(mailbox_ids))
        .values(mailbox_id=None),
    ]
    if remove_accounts:
        # Ids first: MariaDB refuses a DELETE whose subquery reads the same table chain.
        user_ids = list(
            db.session.scalars(
                select(Mailbox.user_id)
                .join(User, User.id == Mailbox.user_id)
                .where(Mailbox.domain_id == domain.id, User.is_superuser.is_(False))
            )
        )
        statements.append(delete(Mailbox).where(Mailbox.domain_id == domain.id))
        if user_ids:
            statements.append(delete(User).where(User.id.in_(user_ids)))
    else:
        statements.append(delete(Mailbox).where(Mailbox.domain_id == domain.id))
    for statement in statements:
        db.session.execute(statement.execution_options(**_NO_SYNC))
    db.session.delete(domain)  # the ORM removes its domain aliases and grants (cascade)
    db.session.flush()
    _expire_loaded()


def _expire_loaded() -> None:
    """Bulk statements bypass the identity map: reload what the session already holds."""
    for obj in list(db.session.identity_map.values()):
        if obj not in db.session.deleted:
            db.session.expire(obj)
