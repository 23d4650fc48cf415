"""The Logs page: the audit log with server-side paging, filters and search."""

from flask import request

from ... import params
from ...bounds import query_int
from ...extensions import db
from ...htmx import render_page_or_fragment
from ...permissions import require
from . import bp
from .services import LEVELS, PERMISSION, known_loggers, log_filters, log_query


@bp.get("/logs")
@require(PERMISSION)
def logs():
    """List audit-log entries, newest first, filtered by level/logger/user/object/dates/text."""
    filters = log_filters(request.args)
    page = db.paginate(
        log_query(filters),
        page=query_int("page", 1),
        per_page=params.get("core.items_per_page"),
        error_out=False,
    )
    return render_page_or_fragment(
        "settings/logs.html",
        "settings/_logs_table.html",
        records=page,
        filters=filters,
        levels=LEVELS,
        loggers=known_loggers(),
    )
