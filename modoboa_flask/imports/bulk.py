"""Helpers of the batched path: multi-row INSERTs, audit rows and per-object events."""

from __future__ import annotations

from flask import current_app, has_request_context, request
from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import selectinload

from .. import audit
from ..extensions import db
from ..models import Log


def insert_ids(model, rows: list[dict], key, keys: list, **equal) -> list[int]:
    """INSERT *rows* (one executemany), then read their ids back by the unique *key* column.

    Reading back by key is one SELECT per batch on every database; INSERT..RETURNING in
    parameter order would fall back to one statement per row on SQLite. *equal* adds
    `column = value` conditions (e.g. internal=True).
    """
    if not rows:
        return []
    insert_rows(model, rows)
    found = dict(select_in(model, (key.key, "id"), key.key, keys, **equal))
    return [found[k] for k in keys]


def select_in(model, columns, key: str, values: list, **equal) -> list[tuple]:
    """Rows of *columns* of *model*'s table whose *key* is one of *values* (and *equal*).

    Raw driver SQL: SQLAlchemy would expand an IN list of thousands of values bind
    parameter by bind parameter (a fifth of a large import's time); the driver takes them
    as one tuple. Names come from the table's own columns, values are always bound.
    """
    if not values:
        return []
    db.session.flush()  # what the ORM's autoflush would do before a SELECT
    table = model.__table__
    connection = db.session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(table.c[c].name for c in columns)
    extra = "".join(f" AND {table.c[c].name} = {mark}" for c in equal)
    found = []
    for start in range(0, len(values), 2000):
        chunk = list(values[start : start + 2000])
        sql = (
            f"SELECT {names} FROM {table.name} WHERE {table.c[key].name} "
            f"IN ({', '.join([mark] * len(chunk))}){extra}"
        )
        found += connection.exec_driver_sql(sql, (*chunk, *equal.values())).all()
    return found


def insert_rows(model, rows: list[dict]) -> None:
    """INSERT *rows* (dicts with the same keys) into *model*'s table in one executemany.

    The statement is compiled once and the values go straight to the driver, each through
    its column type's bind processor: SQLAlchemy's per-row parameter machinery would cost
    more than the INSERT itself on a 100,000-row import.
    """
    if not rows:
        return
    table = model.__table__
    connection = db.session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    compiled = (
        insert(table).values({name: bindparam(name) for name in names}).compile(dialect=dialect)
    )
    order = list(compiled.positiontup) if compiled.positional else names
    # Column by column: each type's bind processor runs once per distinct value object
    # (`now`, True, the actor's id... repeat on every row of a batch).
    columns = []
    for name in order:
        processor = table.c[name].type._cached_bind_processor(dialect)
        values = [row[name] for row in rows]
        if processor is not None:
            memo: dict[int, object] = {}
            processed = []
            for value in values:
                if value is None:
                    processed.append(None)
                    continue
                key = id(value)
                if key not in memo:
                    memo[key] = processor(value)
                processed.append(memo[key])
            values = processed
        columns.append(values)
    params = (
        list(zip(*columns, strict=True))
        if compiled.positional
        else [dict(zip(order, values, strict=True)) for values in zip(*columns, strict=True)]
    )
    connection.exec_driver_sql(compiled.string, params)


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
