"""Database-wide locks: one holder at a time across every node sharing the database.

Periodic jobs run from cron on every node; the lock makes the second one step aside instead
of doing the same deletes concurrently. Each lock is held by a connection of its own (not
the session's), so the job may commit as often as it likes, and a crashed holder releases it
with its connection:

- PostgreSQL: `pg_try_advisory_lock` (scoped to the database);
- MariaDB/MySQL: `GET_LOCK` on `<database>/<name>` (lock names are server-wide);
- SQLite (one machine by nature): `flock` on `<database file>.<name>.lock`; an in-memory
  database lives in one process, so a process-local lock covers it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from .extensions import db

_memory_held: set[tuple[int, str]] = set()
_memory_guard = threading.Lock()


@contextmanager
def exclusive(name: str) -> Iterator[bool]:
    """Try to take the lock *name*; yield True while held, False when another holder has it."""
    engine = db.engine
    dialect = engine.dialect.name
    if dialect == "postgresql":
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        with _server_lock(
            "SELECT pg_try_advisory_lock(:key)", "SELECT pg_advisory_unlock(:key)", key=key
        ) as held:
            yield held
    elif dialect in ("mysql", "mariadb"):
        lock_name = "LEFT(CONCAT(DATABASE(), '/', :name), 64)"
        with _server_lock(
            f"SELECT GET_LOCK({lock_name}, 0)", f"SELECT RELEASE_LOCK({lock_name})", name=name
        ) as held:
            yield held
    else:
        with _sqlite_lock(engine, name) as held:
            yield held


@contextmanager
def _server_lock(take: str, release: str, **params) -> Iterator[bool]:
    # AUTOCOMMIT: the lock's connection must not sit "idle in transaction" during the job.
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        held = bool(connection.execute(text(take), params).scalar())
        try:
            yield held
        finally:
            if held:
                connection.execute(text(release), params)


@contextmanager
def _sqlite_lock(engine, name: str) -> Iterator[bool]:
    database = engine.url.database or ""
    if database in ("", ":memory:") or "mode=memory" in str(engine.url):
        key = (id(engine), name)
        with _memory_guard:
            held = key not in _memory_held
            _memory_held.add(key)
        try:
            yield held
        finally:
            if held:
                with _memory_guard:
                    _memory_held.discard(key)
        return
    fd = os.open(f"{database}.{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held = True
    except BlockingIOError:
        held = False
    try:
        yield held
    finally:
        os.close(fd)  # releases the flock
