"""Helpers shared by the resource modules: loading objects, calling services, answering."""

from __future__ import annotations

from flask import g
from sqlalchemy import select

from ...addresses import domain_or_empty as normalize_domain  # noqa: F401 - for the resources
from ...bounds import to_id
from ...exceptions import Conflict, ServiceError
from ...extensions import db
from ...permissions import visible
from .errors import APIError, from_service, json_response


def parse_pk(raw) -> int:
    """The integer in a URL, or 404 (letters, signs, huge numbers, non-ASCII digits)."""
    pk = to_id(raw)
    if pk is None:
        raise APIError(404)
    return pk


def load(model, raw_pk, stmt=None):
    """The *model* object visible to the caller (or in *stmt*), else 404."""
    pk = parse_pk(raw_pk)
    stmt = stmt if stmt is not None else visible(model, g.actor)
    obj = db.session.scalar(stmt.where(model.id == pk))
    if obj is None:
        raise APIError(404)
    return obj


def call(fn, *args, fields=None, unique=(), limit_key="non_field_errors", **kwargs):
    """Run a service; its refusal becomes the API's error (and the transaction is dropped).

    *unique* lists (or maps to API keys) the service fields whose Conflict is a uniqueness
    error: DRF answers those with 400 on a field, while other conflicts stay 409.
    """
    try:
        return fn(*args, **kwargs)
    except Conflict as exc:
        if exc.field in unique:
            mapping = unique if isinstance(unique, dict) else (fields or {})
            target = mapping.get(exc.field, exc.field)
            raise APIError(400, {target: [exc.message]}) from None
        raise from_service(exc, fields, limit_key) from None
    except ServiceError as exc:
        raise from_service(exc, fields, limit_key) from None


def done(body=None, status: int = 200):
    """Commit the request's one transaction and answer."""
    db.session.commit()
    if body is None:
        return "", status
    return json_response(body, status)


def exists(stmt) -> bool:
    """True when *stmt* returns a row."""
    return db.session.scalar(select(stmt.exists())) or False
