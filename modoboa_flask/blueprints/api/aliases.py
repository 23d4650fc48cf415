"""`aliases/`: aliases, forwards, distribution lists and catch-alls (identities services)."""

from __future__ import annotations

from flask import g, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...models import Alias, Domain
from ...permissions import visible_aliases, visible_domains
from ..identities import services as identity_services
from . import bp
from .common import call, done, exists, load, normalize_domain
from .fields import Boolean, Email, Integer, List, Schema, ValidationError
from .paging import list_response
from .registry import json_body, operation

ALIAS = Schema(
    "Alias",
    {
        "pk": Integer(read_only=True, min_value=1),
        "address": Email(
            required=True,
            allow_empty_local=True,
            strict=True,
            description="local@domain, or @domain for a catch-all.",
            example="sales@example.com",
        ),
        "recipients": List(
            required=True,
            allow_empty=False,
            child=Email(allow_empty_local=True),
            description="Replaced as a whole on update.",
        ),
        "enabled": Boolean(description="Default true."),
        "internal": Boolean(description="System-managed aliases only; always false here."),
    },
)
TAG = "aliases"
DOMAIN_QUERY = [("domain", {"type": "string"}, False, "Keep aliases of this domain.")]
FIELDS = {"address": "address", "recipients": "recipients"}
UNIQUE = {"address": "non_field_errors"}


def serialize(alias: Alias) -> dict:
    """The API representation of *alias* (recipients sorted)."""
    return {
        "pk": alias.id,
        "address": alias.address,
        "enabled": alias.enabled,
        "internal": alias.internal,
        "recipients": sorted(r.address for r in alias.recipients),
    }


def _visible():
    # Internal aliases (mailbox self-aliases, domain-alias catch-alls) are the system's own.
    return (
        visible_aliases(g.actor)
        .where(Alias.internal.is_(False))
        .options(selectinload(Alias.recipients))
    )


def _check(data: dict) -> None:
    """The address's domain must exist and be the caller's (400 on `address`)."""
    if data.get("internal"):
        raise ValidationError({"internal": ["Internal aliases are managed by the system."]})
    name = normalize_domain(data["address"].rpartition("@")[2])
    if not exists(select(Domain.id).where(Domain.name == name)):
        raise ValidationError({"address": ["Domain not found."]})
    if not exists(visible_domains(g.actor).where(Domain.name == name)):
        raise ValidationError({"address": ["Permission denied."]})


@operation(bp, "GET", "/aliases/", tag=TAG, summary="List aliases", response=ALIAS, many=True,
           paged=True, query=DOMAIN_QUERY, errors=(400,))  # fmt: skip
def aliases_list():
    """Aliases visible to the caller, by address."""
    stmt = _visible()
    if "domain" in request.args:
        stmt = stmt.join(Domain, Domain.id == Alias.domain_id).where(
            Domain.name == normalize_domain(request.args["domain"])
        )
    return list_response(
        stmt,
        order_by=(Alias.address,),
        search=(Alias.address,),
        serialize=lambda rows: [serialize(a) for a in rows],
    )


@operation(bp, "POST", "/aliases/", tag=TAG, summary="Create an alias", permission="aliases.add",
           body=ALIAS, response=ALIAS, status=201, errors=(400, 404, 409, 413, 415))  # fmt: skip
def aliases_create():
    """Create an alias; local recipients must exist."""
    data = ALIAS.load(json_body())
    _check(data)
    alias = call(
        identity_services.create_alias,
        g.actor,
        address=data["address"],
        recipients=data["recipients"],
        enabled=data.get("enabled", True),
        fields=FIELDS,
        unique=UNIQUE,
    )
    return done(serialize(alias), 201)


@operation(bp, "GET", "/aliases/<pk>/", tag=TAG, summary="Get an alias", response=ALIAS,
           errors=(404,))  # fmt: skip
def aliases_detail(pk):
    """One alias."""
    return done(serialize(load(Alias, pk, _visible())))


@operation(bp, "PUT", "/aliases/<pk>/", tag=TAG, summary="Update an alias",
           permission="aliases.change", body=ALIAS, update=True, response=ALIAS,
           errors=(400, 404, 409, 413, 415))  # fmt: skip
def aliases_update(pk):
    """Change an alias; the recipient list is replaced."""
    alias = load(Alias, pk, _visible())
    data = ALIAS.load(json_body(), update=True)
    _check(data)
    changes = {"address": data["address"], "recipients": data["recipients"]}
    if "enabled" in data:
        changes["enabled"] = data["enabled"]
    call(identity_services.update_alias, g.actor, alias, fields=FIELDS, unique=UNIQUE, **changes)
    return done(serialize(alias))


@operation(bp, "DELETE", "/aliases/<pk>/", tag=TAG, summary="Delete an alias",
           permission="aliases.delete", status=204, errors=(404,))  # fmt: skip
def aliases_delete(pk):
    """Delete an alias."""
    alias = load(Alias, pk, _visible())
    call(identity_services.delete_aliases, g.actor, [alias])
    return done(None, 204)
