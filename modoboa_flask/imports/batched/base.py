"""What every batch shares: verdicts, the domains in scope, the limit check, the fallback."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ... import signals
from ...exceptions import LimitReached, ServiceError
from ...extensions import db
from ...models import Domain
from ...permissions import administered_domain_ids
from .. import handlers
from ..report import CREATED, ERROR, EXISTS
from ..runner import run_row


class Doubtful(Exception):
    """This row needs the row-by-row path."""


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
