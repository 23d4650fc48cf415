"""Self-service forwards: a public alias sharing the mailbox's address, external targets only."""

from __future__ import annotations

from sqlalchemy import select

from ... import audit, signals
from ...addresses import normalize_address
from ...exceptions import BadRequest, PermissionDenied
from ...extensions import db
from ...models import Alias
from .accounts_services import check_account_scope
from .alias_services import drop_aliases, set_recipients, snapshot
from .common import is_local_domain, record_change, split

LOCAL_FORWARD = (
    "You can't define a forward to a local destination. "
    "Please ask your administrator to create an alias instead."
)


def get_forward(account) -> Alias | None:
    """The public alias sharing the address of *account*'s mailbox (its forward)."""
    if account.mailbox is None:
        return None
    return db.session.scalar(
        select(Alias).where(
            Alias.address == account.mailbox.full_address, Alias.internal.is_(False)
        )
    )


def set_forward(actor, account, destinations, keep_copy) -> Alias | None:
    """Forward *account*'s mail to external *destinations* (none = remove the forward)."""
    if actor.id != account.id:
        check_account_scope(actor, account)
    mailbox = account.mailbox
    if mailbox is None:
        raise BadRequest("A mailbox is required", field="destinations")
    dests = []
    for value in destinations if not isinstance(destinations, str) else destinations.split(","):
        value = (value or "").strip()
        if not value:
            continue
        try:
            dests.append(normalize_address(value, "destinations", strict=False))
        except BadRequest:
            raise BadRequest(f"Invalid mailbox syntax for {value}", field="destinations") from None
    dests = list(dict.fromkeys(dests))
    for dest in dests:
        if is_local_domain(split(dest)[1]):
            raise PermissionDenied(LOCAL_FORWARD, field="destinations")
    alias = get_forward(account)
    if not dests:
        if alias is not None:
            drop_aliases([alias])
        return None
    address = mailbox.full_address
    wanted = dests + ([address] if keep_copy else [])
    if alias is None:
        alias = Alias(address=address, domain_id=mailbox.domain_id, enabled=True)
        db.session.add(alias)
        db.session.flush()
        set_recipients(alias, wanted)
        signals.send(signals.mailbox_alias_created, user=actor, mailbox_alias=alias)
        audit.record(
            f"Forward '{address}' added",
            action="create",
            obj=alias,
            changes={"recipients": [None, wanted]},
        )
        return alias
    before = snapshot(alias)
    set_recipients(alias, wanted)
    record_change(f"Forward '{address}' modified", alias, before, snapshot(alias))
    return alias
