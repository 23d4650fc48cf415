"""Counting parsed events into per-domain and per-account buckets, and the parse run itself.

One run (`parse_logs`) reads each file from its cursor, adds every event to the 5-minute,
hourly and daily buckets of the local domains and accounts involved, writes the message
index, and commits counters, index rows, pending messages and the cursor together every
`CHUNK_LINES` lines: a crash or a second run never counts a line twice.
"""

from __future__ import annotations

import functools
import os
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, insert, select, update

from .. import params
from ..extensions import db
from ..models import Domain, DomainAlias, Mailbox, utcnow
from ..models.stats import COUNTERS, LogCursor, MessageLog, PendingMessage, TrafficCounter
from . import reader
from .parser import Event, MaillogParser, Pending

GRANULARITIES = (300, 3600, 86400)
# How long fine buckets are kept: the day chart reads 5-minute buckets, the week chart hours.
KEEP = {300: timedelta(days=3), 3600: timedelta(days=62)}
_EPOCH = datetime(1970, 1, 1)


def bucket_start(stamp: datetime, granularity: int) -> datetime:
    """The start of the *granularity*-second bucket holding *stamp* (UTC, epoch-aligned)."""
    seconds = int((stamp - _EPOCH).total_seconds())
    return _EPOCH + timedelta(seconds=seconds - seconds % granularity)


def _domain_part(address: str) -> str:
    domain = address.rpartition("@")[2]
    if domain and not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return ""
    return domain


class Resolver:
    """Map addresses to local domain ids (domain aliases included) and account ids."""

    def __init__(self):
        self.domains = dict(db.session.execute(select(Domain.name, Domain.id)).all())
        self.domains.update(
            db.session.execute(select(DomainAlias.name, DomainAlias.target_id)).all()
        )
        self.account = functools.lru_cache(maxsize=100_000)(self._account)

    def domain(self, address: str) -> int | None:
        """The local domain *address* belongs to, or None."""
        return self.domains.get(_domain_part(address)) if address else None

    def _account(self, address: str) -> int | None:
        local, _, name = address.rpartition("@")
        domain_id = self.domains.get(_domain_part(address))
        if not local or domain_id is None:
            return None
        return db.session.scalar(
            select(Mailbox.user_id).where(Mailbox.domain_id == domain_id, Mailbox.address == local)
        )


@dataclass
class Summary:
    """What a run did, printed by the command."""

    files: int = 0
    lines: int = 0
    events: int = 0
    skipped: list[str] = field(default_factory=list)


class Batch:
    """Counters and index rows gathered since the last commit."""

    def __init__(self, resolver: Resolver, index_days: int, now: datetime):
        self.resolver = resolver
        # What prune() would delete at the end of the run is not written at all (a backlog).
        self.index_from = now - timedelta(days=index_days) if index_days > 0 else None
        self.fine_from = {granularity: now - keep for granularity, keep in KEEP.items()}
        self.counters: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(COUNTERS))
        self.rows: list[dict] = []

    def add(self, event: Event) -> None:
        """Count *event* for each local domain and account involved, and index it."""
        resolve = self.resolver
        sender_domain = resolve.domain(event.sender)
        rcpt_domain = resolve.domain(event.original or event.recipient)
        if self.index_from is not None and event.time >= self.index_from:
            self.rows.append({
                "time": event.time, "queue_id": event.queue_id[:32],
                "sender": event.sender[:254], "recipient": event.recipient[:254],
                "status": event.status, "relay": event.relay[:254], "size": event.size,
                "detail": event.detail[:1000], "sender_domain_id": sender_domain,
                "recipient_domain_id": rcpt_domain,
            })  # fmt: skip
        if not event.counted:
            return
        sender_user = resolve.account(event.sender) if sender_domain else None
        rcpt_user = resolve.account(event.recipient) if resolve.domain(event.recipient) else None
        targets: dict[tuple, set[str]] = defaultdict(set)
        if event.status == "sent":
            if sender_domain:
                targets[(sender_domain, None)].add("sent")
                if sender_user:
                    targets[(sender_domain, sender_user)].add("sent")
            if rcpt_domain:
                targets[(rcpt_domain, None)].add("received")
                if rcpt_user:
                    targets[(resolve.domain(event.recipient), rcpt_user)].add("received")
        else:
            # Bounces, deferrals and rejections concern both ends: each side's admin sees them.
            for domain_id, user_id in ((sender_domain, sender_user), (rcpt_domain, rcpt_user)):
                if domain_id:
                    targets[(domain_id, None)].add(event.status)
                    if user_id:
                        targets[(domain_id, user_id)].add(event.status)
        for (domain_id, user_id), names in targets.items():
            for granularity in GRANULARITIES:
                if event.time < self.fine_from.get(granularity, event.time):
                    continue
                row = self.counters[(granularity, bucket_start(event.time, granularity),
                                     domain_id, user_id)]  # fmt: skip
                for name in names:
                    row[COUNTERS.index(name)] += 1
                    if name in ("sent", "received"):
                        row[COUNTERS.index(f"size_{name}")] += event.size

    def write(self) -> None:
        """Add the gathered counters to their rows and insert the index rows (no commit)."""
        table = TrafficCounter.__table__
        by_granularity: dict[int, list[tuple]] = defaultdict(list)
        for key in self.counters:
            by_granularity[key[0]].append(key)
        updates, inserts = [], []
        for granularity, keys in by_granularity.items():
            # One read of the rows in the chunk's time range, then executemany: a backlog
            # of a month touches ~10^5 rows, one statement each would dominate the run.
            starts = [key[1] for key in keys]
            existing = {
                (granularity, start, domain_id, user_id): row_id
                for row_id, start, domain_id, user_id in db.session.execute(
                    select(table.c.id, table.c.start, table.c.domain_id, table.c.user_id).where(
                        table.c.granularity == granularity,
                        table.c.start >= min(starts),
                        table.c.start <= max(starts),
                    )
                )
            }
            for key in keys:
                values = dict(zip(COUNTERS, self.counters[key], strict=True))
                row_id = existing.get(key)
                if row_id is None:
                    _, start, domain_id, user_id = key
                    where = {"start": start, "domain_id": domain_id, "user_id": user_id}
                    inserts.append({"granularity": granularity, **where, **values})
                else:
                    changes = {f"add_{name}": value for name, value in values.items()}
                    updates.append({"row_id": row_id, **changes})
        if updates:
            statement = (
                update(table)
                .where(table.c.id == bindparam("row_id"))
                .values({name: table.c[name] + bindparam(f"add_{name}") for name in COUNTERS})
            )
            db.session.execute(statement, updates)
        if inserts:
            db.session.execute(insert(table), inserts)
        if self.rows:
            db.session.execute(insert(MessageLog), self.rows)
        self.counters.clear()
        self.rows = []


def _load_pending() -> dict[str, Pending]:
    rows = db.session.scalars(select(PendingMessage).order_by(PendingMessage.seen)).all()
    return {
        row.queue_id: Pending(
            row.sender, row.size, row.seen, set(filter(None, row.deferred.split(",")))
        )
        for row in rows
    }


def _save_pending(pending: dict[str, Pending], now: datetime) -> None:
    # Past Postfix's maximal_queue_lifetime (5 days) a message is gone, "removed" logged or not
    # (a log that began mid-queue): forget it rather than carry it forever.
    oldest = now - timedelta(days=7)
    for queue_id in [q for q, p in pending.items() if p.seen is not None and p.seen < oldest]:
        del pending[queue_id]
    db.session.execute(delete(PendingMessage))
    rows = [
        {"queue_id": qid, "sender": p.sender[:254], "size": p.size, "seen": p.seen or utcnow(),
         "deferred": ",".join(sorted(p.deferred))}
        for qid, p in pending.items()
    ]  # fmt: skip
    if rows:
        db.session.execute(insert(PendingMessage), rows)


def _checkpoint(batch: Batch, parser: MaillogParser, log: reader.LogFile, offset: int) -> None:
    batch.write()
    _save_pending(parser.pending, parser.now)
    cursor = db.session.get(LogCursor, log.fingerprint)
    if cursor is None:
        cursor = LogCursor(fingerprint=log.fingerprint)
        db.session.add(cursor)
    cursor.path, cursor.inode, cursor.offset, cursor.updated = log.path, log.inode, offset, utcnow()
    db.session.commit()


def _parse_one(log: reader.LogFile, parser: MaillogParser, batch: Batch, summary: Summary):
    cursor = db.session.get(LogCursor, log.fingerprint)
    offset = cursor.offset if cursor else 0
    if not log.path.endswith(".gz") and offset > os.path.getsize(log.path):
        offset = 0  # truncated in place (copytruncate) after a new first line: start over
    with reader.open_stream(log.path) as stream:
        if log.journal:
            entries = reader.read_journal(stream, offset)
        else:
            entries = reader.read_lines(stream, offset)
        count = 0
        for item, offset in entries:
            count += 1
            if item is not None:
                events = parser.feed(*item) if log.journal else parser.feed_line(item)
                for event in events:
                    summary.events += 1
                    batch.add(event)
            if count % reader.CHUNK_LINES == 0:
                _checkpoint(batch, parser, log, offset)
    summary.lines += count
    summary.files += 1
    _checkpoint(batch, parser, log, offset)


def parse_logs(paths: list[str], *, with_rotated: bool = True, now=None) -> Summary:
    """Parse each log in *paths* from where the last run stopped; commit as it goes.

    *now* (UTC) dates syslog stamps, which carry no year.
    """
    now = now or utcnow()
    summary = Summary()
    parser = MaillogParser(_load_pending(), now=now)
    batch = Batch(Resolver(), params.get("stats.message_index_days"), now)
    todo: list[str] = []
    for path in paths:
        sibling = reader.rotated_sibling(path) if with_rotated else None
        # The rotated file is finished first, and only when a run had started it.
        if sibling and sibling not in paths and _known(sibling):
            todo.append(sibling)
        todo.append(path)
    for path in todo:
        try:
            log = reader.identify(path)
        except OSError as exc:
            summary.skipped.append(f"{path}: {exc.strerror or exc}")
            continue
        if log is None:
            continue  # empty, or its first line is still being written
        _parse_one(log, parser, batch, summary)
    prune(now)
    db.session.commit()
    return summary


def _known(path: str) -> bool:
    try:
        log = reader.identify(path)
    except OSError:
        return False
    return log is not None and db.session.get(LogCursor, log.fingerprint) is not None


def prune(now: datetime | None = None) -> None:
    """Delete fine buckets past their use and index rows past `stats.message_index_days`."""
    now = now or utcnow()
    for granularity, keep in KEEP.items():
        db.session.execute(
            delete(TrafficCounter).where(
                TrafficCounter.granularity == granularity, TrafficCounter.start < now - keep
            )
        )
    # A cursor unused for that long belongs to a file rotated away long ago.
    db.session.execute(delete(LogCursor).where(LogCursor.updated < now - timedelta(days=90)))
    days = params.get("stats.message_index_days")
    db.session.execute(delete(MessageLog).where(MessageLog.time < now - timedelta(days=days)))
