"""Error pages that fit the layout (JSON for the API)."""

from flask import render_template, request
from werkzeug.exceptions import HTTPException

from .extensions import db

MESSAGES = {
    400: "The request could not be understood.",
    401: "You need to log in to see this page.",
    403: "You are not allowed to do this.",
    404: "This page does not exist, or you may not see it.",
    405: "This method is not allowed here.",
    413: "The request is too large.",
    429: "Too many attempts. Please wait and try again.",
    500: "Something went wrong on our side. The error has been logged.",
}


def init_app(app):
    """Register one handler for every HTTP error."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _render(code: int, description: str | None = None):
    message = description or MESSAGES.get(code, "Error")
    if request.path.startswith("/api/"):
        return {"detail": message}, code
    if request.headers.get("HX-Request") == "true":
        return render_template("errors/_fragment.html", code=code, message=message), code
    return render_template("errors/error.html", code=code, message=message), code


def _http_error(error: HTTPException):
    description = error.description if error.code in (400, 413, 429) else None
    return _render(error.code or 500, description)


def _unexpected(error: Exception):
    from flask import current_app

    if current_app.testing and current_app.config.get("PROPAGATE_TEST_ERRORS", True):
        raise error
    db.session.rollback()
    current_app.logger.exception("Unhandled error")
    return _render(500)
