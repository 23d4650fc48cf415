"""The batched path: plain accounts and aliases, checked with set-based queries, bulk-written.

Rows reach the batcher only when nothing about them needs per-row state that a batch could
get wrong (simple users with pre-hashed passwords, aliases). Each batch is then checked in
file order against the database and the batch's own earlier rows, applying the services'
rules in the services' order:

- a row that fails one of the importer's own checks (exists, duplicate, unknown domain,
  bad password) gets the same message the row-by-row path gives, and is left out;
- a row a service would have to judge (no access to the domain, mailbox taken, quota
  rules, unknown local recipient...) is "doubtful": the clean rows before it are written,
  it goes through the row-by-row path (`engine.run_row`), and the batch resumes after it;
- limits are asked once per batch (`can_create_object` with count=n per context); if one
  refuses, the batch goes row by row so exactly the rows under the limit get in.
Events and audit rows are produced per object, as the services do.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from .. import signals
from ..exceptions import LimitReached, ServiceError
from ..extensions import db
from ..models import SIMPLEUSERS, Domain, User
from ..permissions import administered_domain_ids, has_perm
from . import handlers, rows
from .report import CREATED, ERROR, EXISTS


class Doubtful(Exception):
    """This row needs the row-by-row path."""


class Batcher:
    """Collect consecutive eligible rows of one group and write them in batches."""

    def __init__(self, ctx, report, file: str):
        self.ctx, self.report, self.file = ctx, report, file
        self.pending: list[tuple[int, list[str], object]] = []
        self.group: str | None = None
        self._allowed: dict[str, bool] = {}

    def _may(self, group: str) -> bool:
        if group not in self._allowed:
            actor = self.ctx.actor
            if group == "account":
                ok = has_perm(actor, "accounts.add") and SIMPLEUSERS in (
                    handlers.identity_services().allowed_roles(actor, None)
                )
            else:
                ok = has_perm(actor, "aliases.add")
            self._allowed[group] = ok
        return self._allowed[group]

    def _parse(self, kind: str, fields: list[str]):
        """The parsed row when this row may be batched, else None."""
        try:
            if kind == "account":
                row = rows.parse_account(fields)
                if row.role != SIMPLEUSERS or not row.address or not self._may("account"):
                    return None
                if self.ctx.crypt_password and rows.password_for(row, True)[1]:
                    return None  # hashing dominates; the service path sends PasswordUpdated
                return "account", row
            if kind in handlers.ALIAS_KINDS:
                row = rows.parse_alias(kind, fields)
                return ("alias", row) if self._may("alias") else None
        except ServiceError:
            return None  # the row-by-row path reports it with its own message
        return None

    def offer(self, number: int, fields: list[str]) -> bool:
        """Take the row if it may be batched (flushing when the group changes or is full)."""
        parsed = self._parse(fields[0].lower(), fields)
        if parsed is None:
            return False
        group, row = parsed
        if self.pending and group != self.group:
            self.flush()
        self.group = group
        self.pending.append((number, fields, row))
        if len(self.pending) >= self.ctx.options.batch_size:
            self.flush()
        return True

    def flush(self) -> None:
        """Check and write the pending rows."""
        from .engine import run_row
        from .fast_aliases import AliasBatch

        todo, self.pending = self.pending, []
        batch_class = AccountBatch if self.group == "account" else AliasBatch
        while todo:
            batch = batch_class(self.ctx, self.report, self.file)
            stop = batch.check(todo)
            batch.write()
            if stop is None:
                break
            number, fields, _row = todo[stop]
            run_row(self.ctx, self.report, self.file, number, fields)
            todo = todo[stop + 1 :]


class BaseBatch:
    """Shared machinery: verdicts, the limit check, the savepoint and the fallback."""

    limit_name = ""

    def __init__(self, ctx, report, file: str):
        self.ctx, self.report, self.file = ctx, report, file
        self.clean: list[dict] = []
        self.mine: set[int] = set()

    def verdict(self, number: int, exc: ServiceError) -> None:
        status = EXISTS if isinstance(exc, handlers.RowExists) else ERROR
        self.report.add(self.file, number, status, exc.message)

    def domains(self, names) -> dict[str, Domain]:
        """Domains by name; `self.mine` gets the ids of those the importer administers."""
        stmt = select(Domain).where(Domain.name.in_(names))
        found = {domain.name: domain for domain in db.session.scalars(stmt)}
        ids = [domain.id for domain in found.values()]
        if self.ctx.actor.is_superuser:
            self.mine = set(ids)
        else:
            sub = administered_domain_ids(self.ctx.actor).subquery()
            self.mine = set(db.session.scalars(select(sub.c[0]).where(sub.c[0].in_(ids))))
        return found

    def check_limits(self) -> None:
        """Ask the limits once for the whole batch: the importer, then each domain."""
        per_domain: dict[int, list] = {}
        for item in self.clean:
            per_domain.setdefault(item["domain"].id, []).append(item)
        send = signals.send
        send(signals.can_create_object, context=self.ctx.actor, object_type=self.limit_name,
             count=len(self.clean))  # fmt: skip
        for items in per_domain.values():
            send(signals.can_create_object, context=items[0]["domain"],
                 object_type=self.limit_name, count=len(items))  # fmt: skip

    def write(self) -> None:
        """Write the clean rows; on a limit or a database refusal, go row by row."""
        if not self.clean:
            return
        from .engine import run_row

        try:
            with db.session.begin_nested():
                self.check_limits()
                self.insert()
        except (LimitReached, SQLAlchemyError):
            for item in self.clean:
                run_row(self.ctx, self.report, self.file, item["number"], item["fields"])
            return
        for item in self.clean:
            self.report.add(self.file, item["number"], CREATED, item["done"])


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
        from ..models import Mailbox

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
        from .fast_accounts import insert_accounts

        insert_accounts(self.ctx, self.clean)
