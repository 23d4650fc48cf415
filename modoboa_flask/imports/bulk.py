"""Helpers of the batched path: multi-row INSERTs, audit rows and per-object events."""

from __future__ import annotations

from flask import current_app, has_request_context, request
from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from .. import audit, signals
from ..extensions import db
from ..models import Log


def insert_returning_ids(model, rows: list[dict]) -> list[int]:
    """INSERT *rows* into *model*'s table in one executemany; their ids, in order."""
    if not rows:
        return []
    table = model.__table__
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [row[0] for row in db.session.execute(stmt, rows)]


def insert_rows(model, rows: list[dict]) -> None:
    """INSERT *rows* into *model*'s table in one executemany."""
    if rows:
        db.session.execute(insert(model.__table__), rows)


class AuditRows:
    """Audit-log rows built exactly like `audit.record` builds them, inserted in bulk."""

    def __init__(self, now):
        who = audit.actor()
        self.base = {
            "date_created": now,
            "level": "INFO",
            "logger": "modoboa.admin",
            "username": who.username if who else "",
            "ip_address": (request.remote_addr or "") if has_request_context() else "",
            "channel": audit.channel(),
        }
        self.rows: list[dict] = []

    def add(self, message, *, action, object_type, object_id, object_repr, changes=None):
        """Queue one audit row (secrets dropped from *changes*, as record() does)."""
        changes = {k: v for k, v in (changes or {}).items() if k not in audit.SECRET_FIELDS}
        self.rows.append({
            **self.base,
            "message": message[:255],
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "object_repr": str(object_repr or "")[:254],
            "changes": changes or None,
        })  # fmt: skip

    def write(self) -> None:
        """Insert the queued rows."""
        insert_rows(Log, self.rows)
        self.rows = []


def listened(signal) -> bool:
    """True when a receiver is connected for this app (objects are loaded only then)."""
    return signal.has_receivers_for(current_app._get_current_object())


def load(model, ids: list[int], *relations) -> dict[int, object]:
    """ORM objects of *model* by id (for signal receivers), with *relations* preloaded."""
    if not ids:
        return {}
    stmt = select(model).where(model.id.in_(ids))
    for relation in relations:
        stmt = stmt.options(selectinload(relation))
    return {obj.id: obj for obj in db.session.scalars(stmt)}


def send(signal, **kwargs) -> None:
    """Send one lifecycle signal, as the services do."""
    signals.send(signal, **kwargs)
