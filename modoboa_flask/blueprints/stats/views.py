"""Traffic charts (a fragment the dashboard, domain and account pages load), CSV, message index."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from ...bounds import query_int
from ...exceptions import BadRequest
from ...extensions import db
from ...models import Domain, User
from ...models.stats import COUNTERS, MessageLog
from ...params import get as param
from ...permissions import get_visible_or_404, has_perm, require, visible_domains
from ...stats import chart as charts
from ...stats import series as traffic
from . import bp


def _scope() -> dict:
    """The chart's subject from ?domain= / ?account= (in the user's scope), else all in view."""
    if request.args.get("account"):
        return {"account": get_visible_or_404(current_user, User, request.args["account"])}
    if not has_perm(current_user, "domains.view"):
        abort(403)  # simple users only ever see their own account's chart
    if request.args.get("domain"):
        return {"domain": get_visible_or_404(current_user, Domain, request.args["domain"])}
    return {}


def _series(scope: dict):
    try:
        return traffic.traffic(current_user, period=request.args.get("period"), **scope)
    except BadRequest as exc:
        abort(400, exc.message)


def _scope_args(scope: dict) -> dict:
    if "account" in scope:
        return {"account": scope["account"].id}
    return {"domain": scope["domain"].id} if "domain" in scope else {}


@bp.get("/chart")
@require()
def chart():
    """Render the traffic chart, totals and table of one scope over ?period= (fragment)."""
    scope = _scope()
    series = _series(scope)
    return render_template(
        "stats/_chart.html",
        series=series,
        geometry=charts.geometry(series),
        args=_scope_args(scope),
        periods=traffic.PERIODS,
        labels=traffic.LABELS,
        counters=COUNTERS,
    )


@bp.get("/traffic.csv")
@require()
def traffic_csv():
    """Download the series shown by the chart, one row per bucket."""
    scope = _scope()
    series = _series(scope)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["start (UTC)", *COUNTERS])
    for start, values in series.points:
        writer.writerow([start.isoformat(sep=" "), *(values[name] for name in COUNTERS)])
    name = "-".join(f"{key}{value}" for key, value in _scope_args(scope).items()) or "all"
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="traffic-{name}-{series.period}.csv"'
    )
    return response


@bp.get("/messages")
@require("domains.view")
def messages():
    """Search the delivery index by address, within the domains the admin manages."""
    search = request.args.get("q", "").strip().lower()
    stmt = select(MessageLog).order_by(MessageLog.time.desc(), MessageLog.id.desc())
    if not current_user.is_superuser:
        mine = visible_domains(current_user).with_only_columns(Domain.id)
        stmt = stmt.where(
            or_(MessageLog.sender_domain_id.in_(mine), MessageLog.recipient_domain_id.in_(mine))
        )
    if search:
        pattern = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                MessageLog.sender.like(pattern, escape="\\"),
                MessageLog.recipient.like(pattern, escape="\\"),
            )
        )
    pager = db.paginate(
        stmt,
        page=query_int("page", 1),
        per_page=param("core.items_per_page"),
        error_out=False,
    )
    return render_template(
        "stats/messages.html",
        pager=pager,
        search=search,
        days=param("stats.message_index_days"),
        page_url=lambda page: url_for("stats.messages", q=search or None, page=page),
    )
