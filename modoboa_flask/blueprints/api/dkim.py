"""`domains/{pk}/dkim/`: read a domain's DKIM keys and records; generate, rotate, retire."""

from __future__ import annotations

from flask import g

from ...models import Domain
from ..dkim import services as dkim_services
from ..dkim.keys import KEY_LENGTHS, SELECTOR_MAX
from . import bp
from .common import call, done, load
from .dns import _Inline
from .fields import Boolean, Choice, Integer, List, Schema, String
from .registry import json_body, operation

KEY = Schema(
    "DkimKey",
    {
        "id": Integer(min_value=1),
        "selector": String(),
        "key_length": Integer(),
        "state": String(description="pending (never signs), active (signs) or previous."),
        "published": Boolean(description="A DNS check saw the record with this key."),
        "created": String(),
        "checked_at": String(nullable=True, description="Last DNS check of the record (UTC)."),
        "record_name": String(description="Where the TXT record goes."),
        "txt": List(child=String(), description="The TXT strings (255 bytes at most each)."),
        "record": String(description="The record as a zone-file line."),
        "public_key": String(description="The p= value (base64 DER)."),
    },
)
DKIM = Schema(
    "DomainDkim",
    {
        "enabled": Boolean(),
        "selector": String(nullable=True, description="The signing selector (null: none)."),
        "suggested_selector": String(description="Default selector of the next key."),
        "default_key_length": Integer(),
        "keys": List(child=_Inline(KEY)),
    },
)
ACTIONS = ("generate", "activate", "retire", "enable", "disable")
DKIM_ACTION = Schema(
    "DomainDkimAction",
    {
        "action": Choice(
            choices=ACTIONS,
            description="Default generate (a rotation when a key exists: confirm needed).",
        ),
        "selector": String(max_length=SELECTOR_MAX, description="generate: the new selector."),
        "key_length": Integer(description="generate: " + ", ".join(map(str, KEY_LENGTHS))),
        "key": Integer(min_value=1, description="activate / retire: the key's id."),
        "confirm": Boolean(description="Required true to rotate, activate or retire."),
    },
)


@operation(bp, "GET", "/domains/<pk>/dkim/", tag="domains", summary="DKIM keys of a domain",
           permission="domains.view", response=DKIM, errors=(403, 404))  # fmt: skip
def domains_dkim(pk):
    """The domain's DKIM keys and the TXT records to publish."""
    domain = load(Domain, pk)
    call(dkim_services.check_access, g.actor, domain)
    return done(dkim_services.describe(domain))


@operation(bp, "POST", "/domains/<pk>/dkim/", tag="domains",
           summary="Generate, rotate, activate or retire a DKIM key", permission="domains.view",
           body=DKIM_ACTION, response=DKIM, errors=(400, 403, 404, 409, 413, 415))  # fmt: skip
def domains_dkim_change(pk):
    """Act on the domain's DKIM keys; rotating, activating and retiring need confirm=true."""
    domain = load(Domain, pk)
    data = DKIM_ACTION.load(json_body())
    action, confirm = data.get("action", "generate"), data.get("confirm", False)
    if action == "generate":
        call(dkim_services.generate_key, g.actor, domain, selector=data.get("selector"),
             key_length=data.get("key_length"), confirm=confirm)  # fmt: skip
    elif action in ("activate", "retire"):
        service = dkim_services.activate_key if action == "activate" else dkim_services.retire_key
        call(service, g.actor, domain, data.get("key"), confirm=confirm)
    else:
        call(dkim_services.set_enabled, g.actor, domain, action == "enable")
    return done(dkim_services.describe(domain))
