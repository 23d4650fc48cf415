"""Domains and accounts the fixture log talks about, and a helper reading counters back."""

from datetime import datetime

from sqlalchemy import func, select

from modoboa_flask.extensions import db
from modoboa_flask.models import DomainAlias
from modoboa_flask.models.stats import COUNTERS, TrafficCounter
from modoboa_flask.stats import store
from tests.factories import make_domain, make_mailbox

NOW = datetime(2026, 12, 7, 12, 0)


def make_world() -> dict:
    """example.com (alias alias.net, mailbox user@) and other.test; return their ids."""
    example = make_domain("example.com")
    db.session.add(DomainAlias(name="alias.net", target_id=example))
    db.session.commit()
    other = make_domain("other.test")
    user = make_mailbox(example, "user")
    return {"example": example, "other": other, "user": user}


def parse(*paths, **kwargs):
    """Run the parser over *paths* as the cron job would, at NOW."""
    return store.parse_logs([str(p) for p in paths], now=NOW, **kwargs)


def totals(domain_id=None, user_id=None, granularity=86400) -> dict:
    """Counters summed over every bucket of one granularity, for a domain or an account."""
    table = TrafficCounter
    stmt = select(*(func.coalesce(func.sum(getattr(table, n)), 0) for n in COUNTERS)).where(
        table.granularity == granularity
    )
    if user_id is not None:
        stmt = stmt.where(table.user_id == user_id)
    else:
        stmt = stmt.where(table.domain_id == domain_id, table.user_id.is_(None))
    return dict(zip(COUNTERS, (int(v) for v in db.session.execute(stmt).one()), strict=True))
