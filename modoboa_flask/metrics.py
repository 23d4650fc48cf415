"""`/metrics` in Prometheus text format, for a token (`METRICS_TOKEN`) or allowed addresses.

Request counts and latencies are counted **per process** (in memory, reset on restart): a
scrape sees the gunicorn worker that answers it, so run one worker per scrape target (threads
for concurrency; README "Deploying"). Everything else is read from the database at scrape
time, so every node reports the same: objects by type, mailbox operations, the last runs of
the periodic jobs (cleanup's audit row, check-mx's result stamps).
"""

from __future__ import annotations

import hmac
import ipaddress
import threading
import time
from collections import defaultdict
from datetime import UTC

from flask import abort, current_app, g, request
from sqlalchemy import func, select

from .extensions import db
from .models import (
    Alias,
    Domain,
    DomainAlias,
    DomainCheck,
    Log,
    Mailbox,
    MailboxOperation,
    User,
)
from .permissions import public

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Requests:
    """Counters of this process, safe under gunicorn threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: dict[tuple[str, str, str], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = {}
        self.sums: dict[str, float] = defaultdict(float)

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Count one request and its duration."""
        with self.lock:
            self.counts[(endpoint, method, str(status))] += 1
            counts = self.buckets.setdefault(endpoint, [0] * (len(BUCKETS) + 1))
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[index] += 1
            counts[-1] += 1  # +Inf
            self.sums[endpoint] += seconds

    def lines(self) -> list[str]:
        """The counters in exposition format."""
        out = [
            "# HELP modoboa_http_requests_total HTTP requests answered by this process.",
            "# TYPE modoboa_http_requests_total counter",
        ]
        name = "modoboa_http_request_duration_seconds"
        with self.lock:
            for (endpoint, method, status), count in sorted(self.counts.items()):
                labels = _labels(endpoint=endpoint, method=method, status=status)
                out.append(f"modoboa_http_requests_total{labels} {count}")
            out += [f"# HELP {name} Time to answer, by endpoint.", f"# TYPE {name} histogram"]
            for endpoint, counts in sorted(self.buckets.items()):
                for bound, count in zip((*map(str, BUCKETS), "+Inf"), counts, strict=True):
                    out.append(f"{name}_bucket{_labels(endpoint=endpoint, le=bound)} {count}")
                out.append(f"{name}_sum{_labels(endpoint=endpoint)} {self.sums[endpoint]:.6f}")
                out.append(f"{name}_count{_labels(endpoint=endpoint)} {counts[-1]}")
        return out


REQUESTS = _Requests()


def _labels(**labels: str) -> str:
    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')

    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in labels.items()) + "}"


def _start() -> None:
    g._metrics_start = time.perf_counter()


def _finish(response):
    start = g.pop("_metrics_start", None)
    if start is not None:
        # The endpoint name, never the path: ids and addresses must not become labels.
        endpoint = request.endpoint or "unmatched"
        REQUESTS.observe(
            endpoint, request.method, response.status_code, time.perf_counter() - start
        )
    return response


def _allowed() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    try:
        client = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(
        client in ipaddress.ip_network(allowed, strict=False)
        for allowed in current_app.config["METRICS_ALLOW"]
    )


def _gauge(name: str, help_: str, samples: list[tuple[dict, float]]) -> list[str]:
    out = [f"# HELP {name} {help_}", f"# TYPE {name} gauge"]
    # repr() keeps every digit (":g" would round a Unix time to the nearest 10,000 s).
    return out + [
        f"{name}{_labels(**labels) if labels else ''} {value!r}" for labels, value in samples
    ]


def _count(stmt) -> int:
    return db.session.scalar(stmt) or 0


def database_lines() -> list[str]:
    """Gauges computed from the database (the same on every node)."""
    objects = {
        "domains": select(func.count()).select_from(Domain).where(Domain.type == "domain"),
        "relay_domains": select(func.count()).select_from(Domain).where(Domain.type != "domain"),
        "domain_aliases": select(func.count()).select_from(DomainAlias),
        "accounts": select(func.count()).select_from(User),
        "mailboxes": select(func.count()).select_from(Mailbox),
        "aliases": select(func.count()).select_from(Alias).where(Alias.internal.is_(False)),
    }
    lines = _gauge(
        "modoboa_objects",
        "Objects by type.",
        [({"type": kind}, _count(stmt)) for kind, stmt in objects.items()],
    )
    pending = select(func.count()).select_from(MailboxOperation)
    lines += _gauge(
        "modoboa_mailbox_operations_pending",
        "Queued mailbox renames and deletions (failed = tried, kept with an error).",
        [
            ({"state": "queued"}, _count(pending.where(MailboxOperation.last_error == ""))),
            ({"state": "failed"}, _count(pending.where(MailboxOperation.last_error != ""))),
        ],
    )
    # A cleanup run writes an audit row; check-mx (and "Check now") stamps each result.
    last = {
        "cleanup": db.session.scalar(
            select(func.max(Log.date_created)).where(Log.action == "cleanup")
        ),
        "check-mx": db.session.scalar(select(func.max(DomainCheck.checked_at))),
    }
    lines += _gauge(
        "modoboa_job_last_run_timestamp_seconds",
        "Unix time of the last completed run of a periodic job (0 = never).",
        [({"job": job}, _epoch(when)) for job, when in last.items()],
    )
    return lines


def _epoch(naive_utc) -> float:
    if naive_utc is None:
        return 0
    return naive_utc.replace(tzinfo=UTC).timestamp()


@public
def metrics():
    """Answer the metrics to a holder of the token or an allowed address (404 otherwise)."""
    config = current_app.config
    if not (config["METRICS_TOKEN"] or config["METRICS_ALLOW"]):
        abort(404)  # off until configured: nothing to probe
    if not _allowed():
        abort(403)
    body = "\n".join([*REQUESTS.lines(), *database_lines()]) + "\n"
    headers = {
        "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
        "Cache-Control": "no-store",
    }
    return body, 200, headers


def init_app(app) -> None:
    """Count every request and register `/metrics`."""
    app.before_request(_start)
    app.after_request(_finish)
    app.add_url_rule("/metrics", endpoint="metrics", view_func=metrics)
