"""Error pages that fit the layout (JSON for the API)."""

from flask import current_app, g, render_template, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from .exceptions import ServiceError
from .extensions import db, login_manager
from .htmx import is_htmx

MESSAGES = {
    400: "The request could not be understood.",
    401: "You need to log in to see this page.",
    403: "You are not allowed to do this.",
    404: "This page does not exist, or you may not see it.",
    405: "This method is not allowed here.",
    413: "The request is too large.",
    429: "Too many attempts. Please wait and try again.",
    500: "Something went wrong on our side. The error has been logged.",
    503: "The service is temporarily unavailable. Please try again in a moment.",
}
# Seconds a client should wait after a 503. The app serves again from the first request after
# the database returns (pool_pre_ping), and restarting a database server takes seconds to
# tens of seconds: 30 s keeps retries cheap without making a person wait long once it is back
# (docs/DEVELOPING.md, "Operations: database outage").
RETRY_AFTER = 30
API_UNAVAILABLE = "Service temporarily unavailable"

# Driver errors that mean "no connection", not "bad statement" (which must stay a 500).
# psycopg: client-side failures carry no SQLSTATE; class 08 = connection exception;
# 57P01-57P03 = the server is shutting down, crashed, or is still starting.
_PG_STATES = ("08", "57P01", "57P02", "57P03")
# PyMySQL / MariaDB error numbers: too many connections, shutdown in progress, connection
# killed, can't connect (socket, TCP), server gone away, lost connection, out of sync,
# disconnected for inactivity.
_MYSQL_ERRNOS = {1040, 1053, 1927, 2002, 2003, 2006, 2013, 2014, 2045, 2055, 4031}


def init_app(app):
    """Register one handler for every HTTP error."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(sa_exc.DBAPIError, _database_error)
    app.register_error_handler(sa_exc.TimeoutError, _database_error)  # pool exhausted
    app.register_error_handler(ServiceError, _service_error)
    app.register_error_handler(Exception, _unexpected)


def is_unavailable(error: BaseException) -> bool:
    """True when *error* means the database cannot be reached (not a faulty statement)."""
    if isinstance(error, sa_exc.TimeoutError):
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return False
    orig = error.orig
    module = type(orig).__module__
    if module.startswith("psycopg"):
        state = getattr(orig, "sqlstate", None)
        return state is None or state.startswith(_PG_STATES)
    if module.startswith("pymysql") or module.startswith("MySQLdb"):
        args = getattr(orig, "args", ())
        return bool(args) and args[0] in _MYSQL_ERRNOS
    return False


def _render(code: int, description: str | None = None):
    try:
        return _render_page(code, description)
    except (sa_exc.DBAPIError, sa_exc.TimeoutError) as error:
        # A 404 page for a logged-in user loads that user for the menus: with the database
        # gone that must become the 503 page, not a bare 500 from the server.
        if code == 503 or not is_unavailable(error):
            raise
        return _database_error(error)


def _render_page(code: int, description: str | None = None):
    message = description or MESSAGES.get(code, "Error")
    if request.path.startswith("/api/"):
        return {"detail": message}, code
    if is_htmx():
        return render_template("errors/_fragment.html", code=code, message=message), code
    return render_template("errors/error.html", code=code, message=message), code


def _http_error(error: HTTPException):
    description = error.description if error.code in (400, 413, 429) else None
    return _render(error.code or 500, description)


def _database_error(error: Exception):
    if not is_unavailable(error):
        return _unexpected(error)
    discard_session()
    reason = str(getattr(error, "orig", None) or error).partition("\n")[0]
    current_app.logger.warning("Database unavailable (503): %s", reason)
    # The layout asks current_user for the menus, and loading a user needs the database:
    # render as an anonymous visitor instead (the session cookie is left untouched).
    g._login_user = login_manager.anonymous_user()
    if request.path.startswith("/api/"):
        body, code = {"detail": API_UNAVAILABLE}, 503
    else:
        body, code = _render(503)
    return body, code, {"Retry-After": str(RETRY_AFTER)}


def _service_error(error: ServiceError):
    """A refusal no view caught (e.g. a value the flush-time check refused at commit)."""
    db.session.rollback()
    if request.path.startswith("/api/") and error.field:
        return {error.field: [error.message]}, error.status
    return _render(error.status, error.message)


def discard_session() -> None:
    """Roll the request's transaction back even when its connection is already dead."""
    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:
        # The server went away during the rollback: the pool invalidates that connection,
        # the transaction died with it, and the next request gets a fresh one.
        db.session.close()


def _unexpected(error: Exception):
    if current_app.testing and current_app.config.get("PROPAGATE_TEST_ERRORS", True):
        raise error
    db.session.rollback()
    current_app.logger.exception("Unhandled error")
    return _render(500)
