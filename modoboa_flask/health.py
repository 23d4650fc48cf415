"""`/healthz`: is this process able to serve (can it reach its database)?"""

from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from .errors import RETRY_AFTER, discard_session, is_unavailable
from .extensions import db
from .permissions import public

# Load balancers and monitoring poll this: never serve a cached answer.
_NO_STORE = {"Cache-Control": "no-store"}


@public
def healthz():
    """Answer 200 {"status": "ok"} when the database answers `SELECT 1`, else 503."""
    try:
        db.session.execute(text("SELECT 1"))
    except (sa_exc.DBAPIError, sa_exc.TimeoutError) as error:
        if not is_unavailable(error):
            raise
        discard_session()
        return {"status": "unavailable"}, 503, {**_NO_STORE, "Retry-After": str(RETRY_AFTER)}
    return {"status": "ok"}, 200, _NO_STORE


def init_app(app) -> None:
    """Register `/healthz` (public: it reveals nothing but "up" or "down")."""
    app.add_url_rule("/healthz", endpoint="healthz", view_func=healthz)
