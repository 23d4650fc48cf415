"""Checks shared by the domain services: scope, permission, type, quota numbers."""

from __future__ import annotations

from ... import signals
from ...exceptions import BadRequest

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
