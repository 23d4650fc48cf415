"""Token authentication of /api/v1/ (`Authorization: Token <key>`) and its throttling.

It runs as an app-wide before-request hook, not a blueprint hook, so an unknown path or a
wrong method under /api/v1/ is answered after authentication and as JSON, like Modoboa 1.6.
Failed authentications go through the shared throttle (`modoboa_flask.throttle`, channel
`api`): a valid token is always served, so neither web login failures nor a stranger's bad
tokens from the same address can block a working client.
"""

from __future__ import annotations

from flask import current_app, g, request
from werkzeug.routing import RequestRedirect

from ... import throttle
from ...extensions import db
from . import tokens
from .errors import DETAILS, api_error, detail, http_error, json_response, throttled

PREFIX = "/api/v1"
# Public: the document describes the API, not anyone's data (see docs.py).
UNAUTHENTICATED = {f"{PREFIX}/openapi.json"}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def is_api_request() -> bool:
    """True for requests under /api/v1 (the document excepted)."""
    path = request.path
    return (path == PREFIX or path.startswith(PREFIX + "/")) and path not in UNAUTHENTICATED


def authenticate():
    """Before every /api/v1 request: size limit, throttling, token, then routing errors."""
    if not is_api_request():
        return None
    g.channel = "api"
    limit = current_app.config["API_MAX_CONTENT_LENGTH"]
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        return detail(413, f"Request body too large (the limit is {limit} bytes).")
    header = request.headers.get("Authorization", "")
    parts = header.split()
    if not parts or parts[0].lower() != "token":
        return detail(401, DETAILS[401], {"WWW-Authenticate": "Token"})
    if len(parts) == 1:
        return _fail("Invalid token header. No credentials provided.")
    if len(parts) > 2:
        return _fail("Invalid token header. Token string should not contain spaces.")
    if not parts[1].isascii() or not parts[1].isprintable():
        return _fail("Invalid token header. Token string should not contain invalid characters.")
    token = tokens.find_token(parts[1])
    if token is None or tokens.is_expired(token):
        return _fail("Invalid token." if token is None else "Token has expired.")
    user = token.user
    if user is None or not user.is_active:
        return detail(401, "User inactive or deleted.", {"WWW-Authenticate": "Token"})
    read_only = token.read_only
    tokens.touch(token)
    # Flask-Login's current_user resolves to the token's user for this request only: nothing
    # is written to the session cookie.
    g._login_user = g.actor = user
    g.api_read_only = read_only
    routing = request.routing_exception
    if routing is not None and not isinstance(routing, RequestRedirect):
        return http_error(routing)
    if read_only and request.method in WRITE_METHODS:
        return detail(403, "This token is read-only.")
    for name, value in request.args.items(multi=True):
        # PostgreSQL refuses NUL in text: answer 400 before any query sees it.
        if "\x00" in name or "\x00" in value:
            return json_response({name: ["Null characters are not allowed."]}, 400)
    return None


def _fail(message: str):
    """401 for a bad credential, counted by the throttle; 429 once the address is throttled."""
    address = throttle.client_address()
    retry = throttle.retry_after(throttle.API, address)
    if retry:
        return api_error(throttled(retry))
    throttle.record_failure(throttle.API, address)
    db.session.commit()  # the request's own transaction never commits a refused request
    return detail(401, message, {"WWW-Authenticate": "Token"})
