"""Bulk writing of checked simple-user rows: what `create_account` + `create_mailbox` write."""

from __future__ import annotations

from types import SimpleNamespace

from .. import audit, signals
from ..extensions import db
from ..models import SIMPLEUSERS, Alias, AliasRecipient, Mailbox, Quota, User, utcnow
from .bulk import AuditRows, insert_ids, insert_rows, listened, load, select_in


def _user_values(actor, item, now) -> dict:
    row = item["row"]
    return {
        "username": item["username"], "first_name": (row.first_name or "")[:30],
        "last_name": (row.last_name or "")[:30], "email": item["username"],
        "password": item["password"], "role": SIMPLEUSERS, "is_superuser": False,
        "is_staff": False, "is_active": bool(row.enabled), "is_local": True,
        "master_user": False, "date_joined": now, "last_login": None,
        "last_modification": now, "language": "en", "phone_number": None,
        "secondary_email": None, "owner_id": actor.id,
    }  # fmt: skip


def _snapshot(values: dict, item: dict) -> dict:
    """The account's audited fields, computed by the identities service's own function."""
    from ..blueprints.identities.common import account_snapshot

    mailbox = SimpleNamespace(quota=item["quota"], use_domain_quota=item["use_domain_quota"])
    return account_snapshot(SimpleNamespace(**values, mailbox=mailbox))


def insert_accounts(ctx, clean: list[dict]) -> None:
    """Insert accounts, mailboxes, self-aliases, recipients, quota rows; events; audit."""
    now = utcnow()
    actor = ctx.actor
    users = [_user_values(actor, item, now) for item in clean]
    addresses = [item["username"] for item in clean]
    user_ids = insert_ids(User, users, User.username, addresses)
    mailbox_ids = insert_ids(Mailbox, [
        {"address": item["local"], "quota": item["quota"],
         "use_domain_quota": item["use_domain_quota"], "domain_id": item["domain"].id,
         "user_id": user_id, "creation": now, "last_modification": now}
        for item, user_id in zip(clean, user_ids, strict=True)
    ], Mailbox.user_id, user_ids)  # fmt: skip
    alias_ids = insert_ids(Alias, [
        {"address": item["username"], "domain_id": item["domain"].id, "enabled": True,
         "internal": True, "description": "", "expire_at": None, "creation": now,
         "last_modification": now}
        for item in clean
    ], Alias.address, addresses, internal=True)  # fmt: skip
    insert_rows(AliasRecipient, [
        {"address": item["username"], "alias_id": alias_id, "r_mailbox_id": mailbox_id,
         "r_alias_id": None}
        for item, alias_id, mailbox_id in zip(clean, alias_ids, mailbox_ids, strict=True)
    ])  # fmt: skip
    have = {row[0] for row in select_in(Quota, ("username",), "username", addresses)}
    insert_rows(Quota, [
        {"username": address, "bytes": 0, "messages": 0}
        for address in addresses if address not in have
    ])  # fmt: skip
    _events(actor, clean, user_ids, mailbox_ids)
    log = AuditRows(now)
    for item, values, user_id, mailbox_id in zip(clean, users, user_ids, mailbox_ids, strict=True):
        log.add(f"Mailbox '{item['username']}' added", action="create", object_type="Mailbox",
                object_id=mailbox_id, object_repr=item["local"])  # fmt: skip
        log.add(f"Account '{item['username']}' added", action="create", object_type="User",
                object_id=user_id, object_repr=item["username"],
                changes=audit.diff({}, _snapshot(values, item)))  # fmt: skip
    log.write()


def _events(actor, clean, user_ids, mailbox_ids) -> None:
    """MailboxCreated, AccountCreated, AccountImported per account, when someone listens.

    AccountCreated goes through `signals.send_each`: receivers that accept a batch (the
    limits plugin) get one call for the whole batch, the others one call per account.
    """
    want_mailbox = listened(signals.mailbox_created)
    want_account = listened(signals.account_created)
    want_imported = listened(signals.account_imported)
    if not (want_mailbox or want_account or want_imported):
        return
    mailboxes = load(Mailbox, mailbox_ids, Mailbox.domain, Mailbox.user) if want_mailbox else {}
    accounts = load(User, user_ids) if (want_account or want_imported) else {}
    # Receivers' rows (e.g. limit rows) are flushed once for the batch, not once per query.
    with db.session.no_autoflush:
        if want_mailbox:
            for mailbox_id in mailbox_ids:
                signals.send(signals.mailbox_created, user=actor, mailbox=mailboxes[mailbox_id])
        if want_account:
            created = [accounts[user_id] for user_id in user_ids]
            signals.send_each(signals.account_created, "account", created, creator=actor)
        if want_imported:
            for item, user_id in zip(clean, user_ids, strict=True):
                signals.send(signals.account_imported, user=actor, account=accounts[user_id],
                             row=item["row"].extra)  # fmt: skip
    db.session.flush()
