"""Reading the counters back: one series per scope (domains in view, one domain, one account).

Shared by the dashboard, the domain and account pages, the CSV download and the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..exceptions import BadRequest
from ..extensions import db
from ..models import Domain, User, utcnow
from ..models.stats import COUNTERS, TrafficCounter
from ..permissions import visible_domains
from .store import bucket_start

# period -> (bucket length in seconds, number of buckets shown)
PERIODS = {"day": (300, 288), "week": (3600, 168), "month": (86400, 31), "year": (86400, 365)}
LABELS = {
    "sent": "Sent", "received": "Received", "bounced": "Bounced", "rejected": "Rejected",
    "deferred": "Deferred", "size_sent": "Size sent (bytes)",
    "size_received": "Size received (bytes)",
}  # fmt: skip


@dataclass
class Series:
    """Counters per bucket over a period, with their totals."""

    period: str
    granularity: int
    points: list[tuple[datetime, dict[str, int]]]
    totals: dict[str, int]


def check_period(period: str | None) -> str:
    """*period* when it is one of PERIODS ("day" when empty); BadRequest otherwise."""
    period = period or "day"
    if period not in PERIODS:
        raise BadRequest(f"Unknown period {period!r}: use one of {', '.join(PERIODS)}.",
                         field="period")  # fmt: skip
    return period


def traffic(actor, *, period: str = "day", domain: Domain | None = None,
            account: User | None = None, now: datetime | None = None) -> Series:  # fmt: skip
    """The series of *account*, else of *domain*, else of every domain *actor* may see.

    The caller has loaded *domain* / *account* within the actor's scope.
    """
    period = check_period(period)
    granularity, count = PERIODS[period]
    end = bucket_start(now or utcnow(), granularity) + timedelta(seconds=granularity)
    first = end - timedelta(seconds=granularity * count)
    table = TrafficCounter
    stmt = select(table.start, *(func.sum(getattr(table, name)) for name in COUNTERS)).where(
        table.granularity == granularity, table.start >= first, table.start < end
    )
    if account is not None:
        stmt = stmt.where(table.user_id == account.id)
    else:
        stmt = stmt.where(table.user_id.is_(None))
        if domain is not None:
            stmt = stmt.where(table.domain_id == domain.id)
        elif not actor.is_superuser:
            stmt = stmt.where(
                table.domain_id.in_(visible_domains(actor).with_only_columns(Domain.id))
            )
    rows = {row[0]: row[1:] for row in db.session.execute(stmt.group_by(table.start))}
    points = []
    totals = dict.fromkeys(COUNTERS, 0)
    for index in range(count):
        start = first + timedelta(seconds=granularity * index)
        found = rows.get(start) or (0,) * len(COUNTERS)
        values = dict(zip(COUNTERS, (int(v or 0) for v in found), strict=True))
        for name in COUNTERS:
            totals[name] += values[name]
        points.append((start, values))
    return Series(period, granularity, points, totals)
