"""`statistics/`: the mail traffic series the charts draw (read-only)."""

from __future__ import annotations

from flask import g, request

from ...extensions import db
from ...models import Domain
from ...permissions import visible_domains
from ...stats import series as traffic
from . import bp
from .common import call, normalize_domain
from .errors import APIError, json_response
from .fields import Choice, Integer, List, Nested, Schema, String
from .registry import operation

_COUNTS = {name: Integer(min_value=0, max_value=None) for name in traffic.LABELS}
TOTALS = Schema("StatisticsTotals", dict(_COUNTS))
POINT = Schema(
    "StatisticsPoint",
    {"start": String(description="Bucket start, UTC, ISO 8601."), **_COUNTS},
)
STATISTICS = Schema(
    "Statistics",
    {
        "domain": String(nullable=True, description="null: every domain the caller manages."),
        "period": Choice(choices=tuple(traffic.PERIODS)),
        "granularity": Integer(min_value=1, description="Bucket length in seconds."),
        "totals": Nested(schema_obj=TOTALS),
        "series": List(child=Nested(schema_obj=POINT), max_items=400),
    },
)
QUERY = [
    ("domain", {"type": "string"}, False, "A domain name (default: all the caller manages)."),
    ("period", {"type": "string", "enum": list(traffic.PERIODS)}, False, "Default: day."),
]


@operation(bp, "GET", "/statistics/", tag="statistics", summary="Mail traffic series",
           permission="domains.view", response=STATISTICS, query=QUERY,
           errors=(400, 404))  # fmt: skip
def statistics_get():
    """Sent, received, bounced, rejected and deferred mail per bucket over a period."""
    period = request.args.get("period", "day")
    if period not in traffic.PERIODS:
        raise APIError(400, {"period": [f'"{period[:50]}" is not a valid choice.']})
    domain = None
    if request.args.get("domain"):
        name = normalize_domain(request.args["domain"])
        domain = _visible_domain(name) if name else None
        if domain is None:
            raise APIError(404)  # unknown or out of scope: the same answer
    series = call(traffic.traffic, g.actor, period=period, domain=domain)
    return json_response(
        {
            "domain": domain.name if domain else None,
            "period": series.period,
            "granularity": series.granularity,
            "totals": series.totals,
            "series": [
                {"start": start.isoformat() + "Z", **values} for start, values in series.points
            ],
        }
    )


def _visible_domain(name: str) -> Domain | None:
    return db.session.scalar(visible_domains(g.actor).where(Domain.name == name))
