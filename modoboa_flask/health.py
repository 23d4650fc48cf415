"""`/healthz`: is this process able to serve (database reachable, schema current)?"""

import functools

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from .errors import RETRY_AFTER, discard_session, is_unavailable
from .extensions import db
from .permissions import public

# Load balancers and monitoring poll this: never serve a cached answer.
_NO_STORE = {"Cache-Control": "no-store"}


@functools.cache
def _code_heads(directory: str) -> frozenset:
    # The revisions shipped with the code: fixed for the life of the process.
    return frozenset(ScriptDirectory(directory).get_heads())


def migrations_current() -> bool:
    """True when the database is at the code's Alembic head (`flask db upgrade` done)."""
    heads = _code_heads(current_app.extensions["migrate"].directory)
    current = MigrationContext.configure(db.session.connection()).get_current_heads()
    return frozenset(current) == heads


@public
def healthz():
    """Answer 200 {"status": "ok"} when the database answers and its schema is current."""
    try:
        db.session.execute(text("SELECT 1"))
        current = not current_app.config["HEALTHZ_CHECK_MIGRATIONS"] or migrations_current()
    except (sa_exc.DBAPIError, sa_exc.TimeoutError) as error:
        if not is_unavailable(error):
            raise
        discard_session()
        return {"status": "unavailable"}, 503, {**_NO_STORE, "Retry-After": str(RETRY_AFTER)}
    if not current:
        # This node's code and the database disagree: keep it out of the pool until
        # `flask db upgrade` (or the matching code) is in place.
        return {"status": "migrations pending"}, 503, _NO_STORE
    return {"status": "ok"}, 200, _NO_STORE


def init_app(app) -> None:
    """Register `/healthz` (public: it reveals nothing but "up" or "down")."""
    app.add_url_rule("/healthz", endpoint="healthz", view_func=healthz)
