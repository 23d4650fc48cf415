"""Checks shared by the domain services: scope, permission, type, quota numbers."""

from __future__ import annotations

from sqlalchemy import func, select

from ... import signals
from ...exceptions import BadRequest
from ...extensions import db
from ...models import Domain, Mailbox
from .names import display_name

CORE_TYPES = [("domain", "Domain"), ("relaydomain", "Relay domain")]


def domain_types() -> list[tuple[str, str]]:
    """Selectable domain types: the core ones plus those plugins declare."""
    extra = signals.collect(signals.extra_domain_types)
    return [*CORE_TYPES, *[t for t in extra if t[0] not in dict(CORE_TYPES)]]


def check_type(value: str) -> str:
    """Return *value* when it is a known domain type."""
    if value not in dict(domain_types()):
        raise BadRequest(f"Unknown domain type '{value}'.", field="type")
    return value


def check_mb(value, field: str) -> int:
    """A quota in MB: a whole number, 0 or more."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadRequest("Enter a whole number of MB.", field=field) from None
    if number < 0:
        raise BadRequest("Must be 0 (unlimited) or a positive number of MB.", field=field)
    return number


def check_default_vs_quota(quota: int, default_mailbox_quota: int) -> None:
    """In a limited pool, new mailboxes need a limited default that fits in the pool."""
    if quota and not default_mailbox_quota:
        raise BadRequest(
            f"The domain quota is limited ({quota} MB): the default mailbox quota must be "
            "a number of MB, not unlimited.",
            field="default_mailbox_quota",
        )
    if quota and default_mailbox_quota > quota:
        raise BadRequest(
            f"The default mailbox quota ({default_mailbox_quota} MB) can't exceed the domain "
            f"quota ({quota} MB).",
            field="default_mailbox_quota",
        )


def check_pool(domain: Domain, quota: int, new_default: int | None) -> None:
    """Refuse a pool smaller than one mailbox's quota or than all of them together.

    When the default changes (*new_default*), mailboxes that follow it (use_domain_quota)
    count with the new value, since they will be updated to it.
    """
    if not quota:
        return
    scope = [Mailbox.domain_id == domain.id]
    if new_default is not None:
        scope.append(Mailbox.use_domain_quota.is_(False))
    biggest = db.session.execute(
        select(Mailbox.address, Mailbox.quota)
        .where(*scope)
        .order_by(Mailbox.quota.desc(), Mailbox.address)
        .limit(1)
    ).first()
    total = db.session.scalar(select(func.coalesce(func.sum(Mailbox.quota), 0)).where(*scope))
    if new_default is not None:
        followers = db.session.scalar(
            select(func.count(Mailbox.id)).where(
                Mailbox.domain_id == domain.id, Mailbox.use_domain_quota.is_(True)
            )
        )
        total += followers * new_default
    if biggest is not None and biggest.quota > quota:
        raise BadRequest(
            f"The domain quota ({quota} MB) is lower than the quota of mailbox "
            f"{biggest.address}@{display_name(domain.name)} ({biggest.quota} MB).",
            field="quota",
        )
    if total > quota:
        raise BadRequest(
            f"The domain quota ({quota} MB) is lower than the quotas of its mailboxes "
            f"({total} MB in total).",
            field="quota",
        )
