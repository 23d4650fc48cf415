"""JSON error bodies of the API (the shapes of Modoboa 1.6's, i.e. Django REST framework's)."""

from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import HTTPException

from ...exceptions import LimitReached, ServiceError
from ...extensions import db
from .fields import ValidationError

DETAILS = {
    400: "Bad request.",
    401: "Authentication credentials were not provided.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    409: "Conflict.",
    413: "Request body too large.",
    415: "Unsupported media type.",
    429: "Request was throttled.",
    500: "A server error occurred.",
}


class APIError(Exception):
    """An error answered as JSON: *body* is a dict ({"detail": ...} or per-field messages)."""

    def __init__(self, status: int, body=None, headers: dict | None = None):
        super().__init__(status)
        self.status = status
        self.body = body if body is not None else {"detail": DETAILS.get(status, "Error.")}
        self.headers = headers or {}


def throttled(retry_after: int) -> APIError:
    """429 with DRF's message and a Retry-After header."""
    return APIError(
        429,
        {"detail": f"Request was throttled. Expected available in {retry_after} seconds."},
        {"Retry-After": str(retry_after)},
    )


def json_response(body, status: int = 200, headers: dict | None = None):
    """A JSON response (a bare array stays a bare array)."""
    response = current_app.json.response(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def detail(status: int, message: str | None = None, headers: dict | None = None):
    """A {"detail": message} response."""
    return json_response({"detail": message or DETAILS.get(status, "Error.")}, status, headers)


def http_error(exc: HTTPException):
    """Werkzeug errors (404 of a missing object, 405, 413...) as JSON."""
    db.session.rollback()
    code = exc.code or 500
    if code == 405:
        return detail(405, f'Method "{request.method}" not allowed.')
    if code == 413:
        limit = current_app.config["API_MAX_CONTENT_LENGTH"]
        return detail(413, f"Request body too large (the limit is {limit} bytes).")
    return detail(code)


def api_error(exc: APIError):
    """An APIError raised by the API's own code."""
    db.session.rollback()
    return json_response(exc.body, exc.status, exc.headers)


def validation_error(exc: ValidationError):
    """400 with per-field messages."""
    db.session.rollback()
    return json_response(exc.errors, 400)


def from_service(exc: ServiceError, fields: dict | None = None, limit_key="non_field_errors"):
    """Translate a service refusal: 400s name the API field, others get {"detail": ...}.

    *fields* maps a service field name to the API's: a string, or a tuple for a nested field
    ("mailbox", "quota"). Limits answer 400 on *limit_key*, as Modoboa 1.6's API does.
    """
    if isinstance(exc, LimitReached):
        return APIError(400, {exc.field or limit_key: [exc.message]})
    if exc.status != 400:
        return APIError(exc.status, {"detail": exc.message})
    target = (fields or {}).get(exc.field, exc.field) or "non_field_errors"
    if isinstance(target, tuple):
        return APIError(400, {target[0]: {target[1]: [exc.message]}})
    return APIError(400, {target: [exc.message]})


def service_error(exc: ServiceError):
    """A service refusal no endpoint translated (its own field names are kept)."""
    return api_error(from_service(exc))


def register(bp) -> None:
    """Install the handlers on the API blueprint."""
    bp.register_error_handler(HTTPException, http_error)
    bp.register_error_handler(APIError, api_error)
    bp.register_error_handler(ValidationError, validation_error)
    bp.register_error_handler(ServiceError, service_error)
