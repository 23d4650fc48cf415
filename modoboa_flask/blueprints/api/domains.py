"""`domains/`: hosted and relay domains (a thin layer over the domains services)."""

from __future__ import annotations

from flask import g

from ...bounds import max_length
from ...models import Domain
from ...permissions import visible_domains
from ..domains import services as domain_services
from . import bp
from .common import call, done, load
from .fields import Boolean, Choice, Integer, Schema, String
from .paging import list_response
from .registry import json_body, operation

DOMAIN = Schema(
    "Domain",
    {
        "pk": Integer(read_only=True, min_value=1),
        "name": String(
            required=True,
            max_length=max_length(Domain.name),
            allow_blank=False,
            description="Domain name (returned IDNA-encoded, as Postfix sees it).",
            example="example.com",
        ),
        "quota": Integer(
            required=True, min_value=0, description="Quota in MB (0 = unlimited).", example=50
        ),
        "enabled": Boolean(description="Default true."),
        "type": Choice(choices=("domain", "relaydomain"), description="Default domain."),
    },
)
FIELDS = {"default_mailbox_quota": "quota", "aliases": "name"}
TAG = "domains"


def serialize(domain: Domain) -> dict:
    """The API representation of *domain*."""
    return {
        "pk": domain.id,
        "name": domain.name,
        "quota": domain.quota,
        "enabled": domain.enabled,
        "type": domain.type,
    }


@operation(bp, "GET", "/domains/", tag=TAG, summary="List domains", response=DOMAIN, many=True,
           paged=True, errors=(400,))  # fmt: skip
def domains_list():
    """Domains visible to the caller, by name."""
    return list_response(
        visible_domains(g.actor),
        order_by=(Domain.name,),
        search=(Domain.name,),
        serialize=lambda rows: [serialize(d) for d in rows],
    )


@operation(bp, "POST", "/domains/", tag=TAG, summary="Create a domain", permission="domains.add",
           body=DOMAIN, response=DOMAIN, status=201, errors=(400, 409, 413, 415))  # fmt: skip
def domains_create():
    """Create a domain owned by the caller."""
    data = DOMAIN.load(json_body())
    domain = call(
        domain_services.create_domain,
        g.actor,
        name=data["name"],
        type=data.get("type", "domain"),
        quota=data["quota"],
        enabled=data.get("enabled", True),
        create_postmaster=False,
        fields=FIELDS,
        unique=("name",),
    )
    return done(serialize(domain), 201)


@operation(bp, "GET", "/domains/<pk>/", tag=TAG, summary="Get a domain", response=DOMAIN,
           errors=(404,))  # fmt: skip
def domains_detail(pk):
    """One domain."""
    return done(serialize(load(Domain, pk)))


@operation(bp, "PUT", "/domains/<pk>/", tag=TAG, summary="Update a domain",
           permission="domains.change", body=DOMAIN, update=True, response=DOMAIN,
           errors=(400, 404, 409, 413, 415))  # fmt: skip
def domains_update(pk):
    """Change a domain; a rename renames every address in it."""
    domain = load(Domain, pk)
    changes = DOMAIN.load(json_body(), update=True, ignore=("pk",))
    if domain.default_mailbox_quota in (domain.quota, 0) or (
        changes["quota"] and domain.default_mailbox_quota > changes["quota"]
    ):
        # API v1 has one quota: mailboxes that follow the domain follow this one.
        changes["default_mailbox_quota"] = changes["quota"]
    call(domain_services.update_domain, g.actor, domain, fields=FIELDS, unique=("name",), **changes)
    return done(serialize(domain))


@operation(bp, "DELETE", "/domains/<pk>/", tag=TAG, summary="Delete a domain",
           permission="domains.delete", status=204, errors=(404,))  # fmt: skip
def domains_delete(pk):
    """Delete a domain and everything in it (accounts are kept unless configured otherwise)."""
    domain = load(Domain, pk)
    call(domain_services.delete_domain, g.actor, domain, keep_mailboxes=True)
    return done(None, 204)
