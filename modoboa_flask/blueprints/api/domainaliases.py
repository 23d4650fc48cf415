"""`domainaliases/`: other names of a domain (a thin layer over the domains services)."""

from __future__ import annotations

from flask import g, request
from sqlalchemy import false

from ...bounds import max_length
from ...extensions import db
from ...models import Domain, DomainAlias
from ...permissions import has_perm, visible_domain_aliases, visible_domains
from ..domains import services as domain_services
from . import bp
from .common import call, done, exists, load, normalize_domain
from .errors import APIError
from .fields import Boolean, Integer, Schema, String
from .paging import list_response
from .registry import json_body, operation

DOMAIN_ALIAS = Schema(
    "DomainAlias",
    {
        "pk": Integer(read_only=True, min_value=1),
        "name": String(
            required=True,
            max_length=max_length(DomainAlias.name),
            allow_blank=False,
            example="example.net",
        ),
        "target": Integer(required=True, min_value=0, description="pk of the target domain."),
        "enabled": Boolean(description="Default true."),
    },
)
TAG = "domainaliases"
DOMAIN_QUERY = [("domain", {"type": "string"}, False, "Keep aliases of this target domain.")]


def serialize(alias: DomainAlias) -> dict:
    """The API representation of *alias*."""
    return {"pk": alias.id, "name": alias.name, "target": alias.target_id, "enabled": alias.enabled}


def _visible():
    # Like Modoboa 1.6, domain admins never see domain aliases (only their creators do).
    if not has_perm(g.actor, "domainaliases.change"):
        return visible_domain_aliases(g.actor).where(false())
    return visible_domain_aliases(g.actor)


def _target(pk: int) -> Domain:
    """The target domain: 400 on `target` when unknown or out of the caller's reach."""
    domain = db.session.get(Domain, pk)
    if domain is None:
        raise APIError(400, {"target": [f'Invalid pk "{pk}" - object does not exist.']})
    if not exists(visible_domains(g.actor).where(Domain.id == pk)):
        raise APIError(400, {"target": ["Permission denied."]})
    return domain


@operation(bp, "GET", "/domainaliases/", tag=TAG, summary="List domain aliases",
           response=DOMAIN_ALIAS, many=True, paged=True, query=DOMAIN_QUERY,
           errors=(400,))  # fmt: skip
def domainaliases_list():
    """Domain aliases visible to the caller, optionally of one target domain."""
    stmt = _visible()
    if "domain" in request.args:
        stmt = stmt.join(Domain, DomainAlias.target_id == Domain.id).where(
            Domain.name == normalize_domain(request.args["domain"])
        )
    return list_response(
        stmt,
        order_by=(DomainAlias.id,),
        search=(DomainAlias.name,),
        serialize=lambda rows: [serialize(a) for a in rows],
    )


@operation(bp, "POST", "/domainaliases/", tag=TAG, summary="Create a domain alias",
           permission="domainaliases.add", body=DOMAIN_ALIAS, response=DOMAIN_ALIAS, status=201,
           errors=(400, 404, 409, 413, 415))  # fmt: skip
def domainaliases_create():
    """Create a domain alias (and its internal catch-all)."""
    data = DOMAIN_ALIAS.load(json_body())
    target = _target(data["target"])
    alias = call(
        domain_services.create_domain_alias,
        g.actor,
        target,
        data["name"],
        enabled=data.get("enabled", True),
        fields={"aliases": "name"},
        unique=("name", "aliases"),
        limit_key="domain",
    )
    return done(serialize(alias), 201)


@operation(bp, "GET", "/domainaliases/<pk>/", tag=TAG, summary="Get a domain alias",
           response=DOMAIN_ALIAS, errors=(404,))  # fmt: skip
def domainaliases_detail(pk):
    """One domain alias."""
    return done(serialize(load(DomainAlias, pk, _visible())))


@operation(bp, "PUT", "/domainaliases/<pk>/", tag=TAG, summary="Update a domain alias",
           permission="domainaliases.change", body=DOMAIN_ALIAS, update=True,
           response=DOMAIN_ALIAS, errors=(400, 404, 409, 413, 415))  # fmt: skip
def domainaliases_update(pk):
    """Rename a domain alias, point it at another domain, enable or disable it."""
    alias = load(DomainAlias, pk, _visible())
    data = DOMAIN_ALIAS.load(json_body(), update=True)
    changes = {"name": data["name"]}
    if data["target"] != alias.target_id:
        changes["target"] = _target(data["target"])
    if "enabled" in data:
        changes["enabled"] = data["enabled"]
    call(
        domain_services.update_domain_alias,
        g.actor,
        alias,
        fields={"aliases": "name"},
        unique=("name", "aliases"),
        **changes,
    )
    return done(serialize(alias))


@operation(bp, "DELETE", "/domainaliases/<pk>/", tag=TAG, summary="Delete a domain alias",
           permission="domainaliases.delete", status=204, errors=(404,))  # fmt: skip
def domainaliases_delete(pk):
    """Delete a domain alias (and its internal catch-all)."""
    alias = load(DomainAlias, pk, _visible())
    call(domain_services.delete_domain_alias, g.actor, alias)
    return done(None, 204)
