"""Postfix log lines in, delivery events out: queue ids correlated, no database access.

The parser keeps one small record per message still in the queue (sender, size), filled by
qmgr's `from=` line and dropped by its `removed` line, so memory follows the queue's size and
not the log's. Delivery agents' `to=... status=` lines and smtpd/cleanup rejections become
:class:`Event`s; everything else (connects, TLS, postscreen chatter) is skipped cheaply.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

# "Dec  7 16:26:56 host postfix/smtpd[123]: text" (syslog, Postfix's own maillog_file)
_SYSLOG = re.compile(
    rb"^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.\d+)? \S+ "
    rb"([^\s\[:]+)(?:\[\d+\])?: (.*)$"
)
# "2026-12-07T16:26:56.123+00:00 host postfix/smtpd[123]: text" (rsyslog RFC 3339, short-iso)
_ISO = re.compile(
    rb"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) \S+ "
    rb"([^\s\[:]+)(?:\[\d+\])?: (.*)$"
)
_MONTHS = {m.encode(): i for i, m in enumerate(
    ("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec").split(), start=1)}  # fmt: skip
_QUEUED = re.compile(r"^([0-9A-Za-z]+): from=<([^>]*)>, size=(\d+), nrcpt=")
_REMOVED = re.compile(r"^([0-9A-Za-z]+): removed$")
_DELIVERY = re.compile(
    r"^([0-9A-Za-z]+): to=<([^>]*)>, (?:orig_to=<([^>]*)>, )?relay=([^,]*), .*?"
    r"status=([a-z]+)(?: \((.*)\))?$"
)
_REJECT = re.compile(
    r"^([0-9A-Za-z]+): (?:milter-)?reject: (.*?); from=<([^>]*)>,?(?: to=<([^>]*)>)?"
)
# Delivery agents whose to= lines are deliveries (verify probes say "deliverable" instead).
_AGENTS = {"smtp", "lmtp", "local", "virtual", "pipe", "error", "retry", "discard", "relay"}
_OUTCOMES = {"sent", "deferred", "bounced", "expired"}
MAX_PENDING = 200_000  # messages in the queue remembered; the oldest go first beyond that


@dataclass
class Pending:
    """What is known of a queued message before its deliveries are logged."""

    sender: str = ""
    size: int = 0
    seen: datetime | None = None
    deferred: set[str] = field(default_factory=set)


@dataclass
class Event:
    """One recipient's outcome: `sent`, `deferred`, `bounced` or `rejected`."""

    time: datetime
    queue_id: str
    sender: str
    recipient: str
    status: str
    relay: str = ""
    size: int = 0
    detail: str = ""
    original: str = ""  # orig_to: the address the message was sent to before aliasing
    counted: bool = True  # False for a repeated deferral of the same recipient


class MaillogParser:
    """Turn Postfix log lines into :class:`Event`s, remembering queued messages."""

    def __init__(self, pending: dict[str, Pending] | None = None, now: datetime | None = None):
        self.pending: dict[str, Pending] = pending if pending is not None else {}
        self.now = now or datetime.now(UTC).replace(tzinfo=None)
        self._stamps: dict[bytes, datetime] = {}

    # --- timestamps -------------------------------------------------------------------
    def _syslog_time(self, month: bytes, day: bytes, hms: tuple[bytes, ...]) -> datetime:
        key = b"%s %s %s:%s:%s" % (month, day, *hms)
        stamp = self._stamps.get(key)
        if stamp is None:
            if len(self._stamps) > 4096:  # one entry per distinct second: keep it small
                self._stamps.clear()
            year = self.now.year
            parts = (_MONTHS[month], int(day), *(int(x) for x in hms))
            local = datetime(year, *parts)
            # Syslog stamps carry no year: a date ahead of now belongs to last year.
            if (local.astimezone(UTC).replace(tzinfo=None) - self.now).days >= 1:
                local = datetime(year - 1, *parts)
            stamp = local.astimezone(UTC).replace(tzinfo=None)  # naive = local time
            self._stamps[key] = stamp
        return stamp

    @staticmethod
    def _iso_time(raw: bytes) -> datetime:
        text = raw.decode().replace(" ", "T").replace("Z", "+00:00")
        if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
            text = f"{text[:-2]}:{text[-2:]}"  # +0000 -> +00:00 (journalctl short-iso)
        stamp = datetime.fromisoformat(text)
        if stamp.tzinfo is None:
            stamp = stamp.astimezone()
        return stamp.astimezone(UTC).replace(tzinfo=None)

    # --- lines ------------------------------------------------------------------------
    def feed_line(self, line: bytes) -> Iterator[Event]:
        """Parse one raw log line (without its newline); yield the events it completes."""
        if b"postfix" not in line:
            return iter(())
        match = _SYSLOG.match(line)
        if match:
            month, day, h, m, s, program, text = match.groups()
            if month not in _MONTHS:
                return iter(())
            stamp = self._syslog_time(month, day, (h, m, s))
        else:
            match = _ISO.match(line)
            if not match:
                return iter(())
            raw_time, program, text = match.groups()
            try:
                stamp = self._iso_time(raw_time)
            except ValueError:
                return iter(())
        return self.feed(stamp, program.decode("ascii", "replace"), text.decode("utf-8", "replace"))

    def feed(self, stamp: datetime, program: str, text: str) -> Iterator[Event]:
        """Parse one message of *program* (e.g. `postfix/lmtp`) logged at *stamp* (UTC)."""
        head, _, service = program.rpartition("/")
        if not head.startswith("postfix"):
            return iter(())
        if service in _AGENTS and ": to=<" in text:
            return self._delivery(stamp, text)
        if service == "qmgr":
            self._qmgr(stamp, text)
            return iter(())
        if "reject: " in text and service in ("smtpd", "cleanup", "postscreen"):
            return self._reject(stamp, text)
        return iter(())

    def _qmgr(self, stamp: datetime, text: str) -> None:
        match = _QUEUED.match(text)
        if match:
            queue_id, sender, size = match.groups()
            entry = self.pending.get(queue_id)
            if entry is None:
                if len(self.pending) >= MAX_PENDING:
                    del self.pending[next(iter(self.pending))]  # oldest first (insertion order)
                entry = self.pending[queue_id] = Pending()
            entry.sender, entry.size, entry.seen = sender.lower(), int(size), stamp
            return
        match = _REMOVED.match(text)
        if match:
            self.pending.pop(match.group(1), None)

    def _delivery(self, stamp: datetime, text: str) -> Iterator[Event]:
        match = _DELIVERY.match(text)
        if not match:
            return
        queue_id, rcpt, orig, relay, status, detail = match.groups()
        if status not in _OUTCOMES:
            return  # verify probes: deliverable / undeliverable
        if status == "expired":
            status = "bounced"
        entry = self.pending.get(queue_id) or Pending()
        rcpt = rcpt.lower()
        counted = True
        if status == "deferred":
            # A deferred message is retried for days: count it once per recipient.
            counted = rcpt not in entry.deferred
            entry.deferred.add(rcpt)
            if queue_id not in self.pending and entry.seen is None:
                entry.seen = stamp
                self.pending[queue_id] = entry
        yield Event(
            stamp, queue_id, entry.sender, rcpt, status, relay, entry.size,
            detail or "", (orig or "").lower(), counted,
        )  # fmt: skip

    def _reject(self, stamp: datetime, text: str) -> Iterator[Event]:
        if text.count("; from=<") != 1:
            # The client chose the addresses, subject or HELO this line repeats: a second
            # "; from=<" makes it ambiguous, and a guess could charge another tenant's domain.
            return
        match = _REJECT.match(text)
        if not match:
            return
        queue_id, detail, sender, rcpt = match.groups()
        # "RCPT from host[1.2.3.4]: 550 5.1.1 <x>: Recipient address rejected: ..."
        detail = (
            detail.split(": ", 1)[-1]
            if detail.startswith(("RCPT", "MAIL", "DATA", "END"))
            else detail
        )
        yield Event(stamp, queue_id, sender.lower(), (rcpt or "").lower(), "rejected",
                    detail=detail)  # fmt: skip
