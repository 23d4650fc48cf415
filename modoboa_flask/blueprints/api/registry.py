"""Declaring an endpoint: one decorator registers the URL rule and its OpenAPI description.

The OpenAPI document (openapi.py) is built from OPERATIONS, and the same Schema objects
validate request bodies, so the document and the endpoints cannot drift apart.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field

from flask import g, request

from ...permissions import has_perm
from .errors import APIError
from .fields import Schema


@dataclass
class Operation:
    """One (method, path) of the API, as the OpenAPI document describes it."""

    method: str
    rule: str
    tag: str
    summary: str
    permission: str | None
    body: Schema | None = None
    update: bool = False
    response: Schema | None = None
    many: bool = False
    status: int = 200
    query: list = field(default_factory=list)  # [(name, schema dict, required, description)]
    errors: tuple = ()
    paged: bool = False
    description: str = ""


OPERATIONS: list[Operation] = []
COMMON_ERRORS = (401, 403, 429)


def operation(bp, method: str, rule: str, *, tag: str, summary: str, permission=None, **spec):
    """Register *view* for METHOD rule on *bp*; *permission* is checked before anything else."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            # Like Modoboa 1.6: the method's model permission comes before lookups and bodies.
            if permission and not has_perm(g.actor, permission):
                raise APIError(403)
            return view(*args, **kwargs)

        wrapped.permission = permission or "api-token"
        endpoint = f"{view.__name__}"
        bp.add_url_rule(
            rule,
            endpoint=endpoint,
            view_func=wrapped,
            methods=[method],
            strict_slashes=False,
            provide_automatic_options=False,
        )
        errors = tuple(sorted(set(COMMON_ERRORS) | set(spec.pop("errors", ()))))
        OPERATIONS.append(Operation(method, rule, tag, summary, permission, errors=errors, **spec))
        return wrapped

    return decorator


def json_body():
    """The request's JSON document: {} when empty, 415 when not JSON, 400 when malformed."""
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise APIError(415, {"detail": f'Unsupported media type "{mimetype}" in request.'})
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        message = str(exc) if not isinstance(exc, RecursionError) else "too deeply nested"
        raise APIError(400, {"detail": f"JSON parse error - {message}"}) from None


def _no_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def int_arg(name: str, default=None, minimum=1, maximum=None):
    """An integer query parameter, 400 `{name: [...]}` when it is not one."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        if not (raw.isascii() and raw.lstrip("-").isdigit()):
            raise ValueError(raw)
        value = int(raw)
    except ValueError:
        raise APIError(400, {name: ["A valid integer is required."]}) from None
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum else f"at least {minimum}"
        raise APIError(400, {name: [f"Must be {bounds}."]})
    return value
