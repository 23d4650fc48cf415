"""`domains/{pk}/dns/`: the stored DNS health of a domain (what the DNS tab shows)."""

from __future__ import annotations

from ...models import Domain
from ..dns import services as dns_services
from . import bp
from .common import done, load
from .fields import Boolean, Field, List, Nested, Schema, String
from .registry import operation


class _Inline(Field):
    """A read-only object described inline (list items: the document's $refs are top-level)."""

    def __init__(self, schema_obj: Schema):
        self.schema_obj = schema_obj

    def schema(self) -> dict:
        return self.schema_obj.openapi()


CHECK = Schema(
    "DnsCheck",
    {
        "status": String(description="ok, warning, error or unknown."),
        "message": String(description="What was found, in plain language."),
        "record": String(description="The record(s) to publish, zone-file syntax."),
        "checked_at": String(nullable=True, description="When the check ran (UTC)."),
    },
)
MX = Schema(
    "DnsMx",
    {
        "name": String(),
        "address": String(),
        "valid": Boolean(description="Inside the valid_mxs networks (true when none is set)."),
    },
)
DNSBL = Schema(
    "DnsblResult",
    {
        "provider": String(),
        "address": String(),
        "listed": Boolean(),
        "status": String(output_optional=True, description="The provider's answer if listed."),
    },
)
DNS = Schema(
    "DomainDns",
    {
        "checked_at": String(nullable=True, description="Last check (UTC), null if never."),
        "status": String(description="The badge: ok, warning, error or unknown."),
        "mx": List(child=_Inline(MX)),
        "dnsbl": List(child=_Inline(DNSBL), max_items=100000),
        **{
            f"{check}_check" if check in ("mx", "dnsbl") else check: Nested(schema_obj=CHECK)
            for check in dns_services.CHECKS
        },
    },
)


@operation(bp, "GET", "/domains/<pk>/dns/", tag="domains", summary="DNS health of a domain",
           response=DNS, errors=(404,))  # fmt: skip
def domains_dns(pk):
    """The stored results of the domain's DNS checks (no DNS query is made)."""
    report = dns_services.report(load(Domain, pk))
    del report["checks"]  # the same results, keyed for the template
    return done(report)
