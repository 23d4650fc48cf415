"""Batched `account` rows: checked in sets, written as `create_account` + `create_mailbox` do."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import func, select

from ... import audit, signals
from ...blueprints.identities.common import account_snapshot
from ...exceptions import ServiceError
from ...extensions import db
from ...models import SIMPLEUSERS, Alias, AliasRecipient, Mailbox, Quota, User, utcnow
from .. import handlers, rows
from ..bulk import AuditRows, insert_ids, insert_rows, listened, load, select_in
from .base import BaseBatch, Doubtful


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


class AccountBatch(BaseBatch):
    """Simple users with a mailbox and a ready password hash."""

    limit_name = "mailboxes"

    def check(self, todo) -> int | None:
        """Judge *todo* in order; return the index of the first doubtful row (or None)."""
        names, lowered = [], []
        for _n, _f, row in todo:
            try:
                username = handlers.simple_user_address(row)
            except ServiceError:
                username = ""
            names.append(username)
            lowered.append(username.lower())
        taken = dict(
            db.session.execute(
                select(func.lower(User.username), User.id).where(
                    func.lower(User.username).in_([n for n in lowered if n])
                )
            ).all()
        )
        domains = self.domains({n.rpartition("@")[2] for n in names if n})
        locals_by_domain = self._mailboxes(names, domains)
        seen: set[str] = set()
        for index, (number, fields, row) in enumerate(todo):
            try:
                self._check_one(row, names[index], taken, domains, locals_by_domain, seen,
                                number, fields)  # fmt: skip
            except Doubtful:
                return index
            except ServiceError as exc:
                self.verdict(number, exc)
        return None

    def _mailboxes(self, names, domains) -> set[tuple[int, str]]:
        ids = [d.id for d in domains.values()]
        parts = {n.rpartition("@")[0] for n in names if n}
        if not ids or not parts:
            return set()
        stmt = select(Mailbox.domain_id, Mailbox.address).where(
            Mailbox.domain_id.in_(ids), Mailbox.address.in_(parts)
        )
        return {tuple(pair) for pair in db.session.execute(stmt).all()}

    def _check_one(self, row, username, taken, domains, mailboxes, seen, number, fields):
        ctx = self.ctx
        if not username:
            username = handlers.simple_user_address(row)  # raises the same message again
        if username.lower() in seen:
            raise handlers.duplicate("account", username)
        local, _, domain_name = username.rpartition("@")
        domain = domains.get(domain_name)
        if domain is not None and domain.id not in self.mine:
            raise Doubtful  # another tenant's domain: the row-by-row path refuses it
        handlers.existing(ctx, "account", username, taken.get(username.lower()), User)
        if domain is None:
            raise handlers.unknown_mail_domain("account", row.username, domain_name)
        stored, _raw = rows.password_for(row, ctx.crypt_password)
        if domain.id not in self.mine or domain.type != "domain":
            raise Doubtful
        if (domain.id, local) in mailboxes:
            raise Doubtful
        if domain.quota:
            raise Doubtful  # the pool binds every role (quota_pool): it needs a running total
        seen.add(username.lower())
        if row.quota is None:
            quota, use_default = domain.default_mailbox_quota or 0, True
        else:
            quota, use_default = row.quota, False
        self.clean.append({
            "number": number, "fields": fields, "row": row, "username": username,
            "local": local, "domain": domain, "password": stored, "quota": quota,
            "use_domain_quota": use_default, "done": f"account {username}",
        })  # fmt: skip

    def insert(self) -> None:
        insert_accounts(self.ctx, self.clean)
