"""The batched path: plain accounts and aliases, checked with set-based queries, bulk-written.

Rows reach the batcher only when nothing about them needs per-row state that a batch could
get wrong (simple users with pre-hashed passwords, aliases). Each batch is then checked in
file order against the database and the batch's own earlier rows, applying the services'
rules in the services' order:

- a row that fails one of the importer's own checks (exists, duplicate, unknown domain,
  bad password) gets the same message the row-by-row path gives, and is left out;
- a row a service would have to judge (no access to the domain, mailbox taken, quota
  rules, unknown local recipient...) is "doubtful": the clean rows before it are written,
  it goes through the row-by-row path (`runner.run_row`), and the batch resumes after it;
- limits are asked once per batch (`can_create_object` with count=n per context); if one
  refuses, the batch goes row by row so exactly the rows under the limit get in.
Events and audit rows are produced per object, as the services do.
"""

from __future__ import annotations

from ...exceptions import ServiceError
from ...models import SIMPLEUSERS
from ...permissions import has_perm
from .. import handlers, rows
from ..runner import run_row
from .accounts import AccountBatch
from .aliases import AliasBatch

__all__ = ["Batcher"]


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
