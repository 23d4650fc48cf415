"""Limit templates and how each limit's usage is counted in SQL.

Usage of a *user* limit counts what the administrator owns:
- ``domains``: domains whose ``owner_id`` is the user (hosted and relay domains alike);
- ``domain_aliases``: aliases of those domains;
- ``mailboxes``: mailboxes of the accounts the user owns (``core_user.owner_id``);
- ``mailbox_aliases``: public (non-internal) aliases of the domains the user administers
  (granted, or owned as a reseller). Aliases have no owner column, so a reseller's usage
  includes the aliases its domain admins created in its domains, as Modoboa reports after
  those admins are deleted and their objects re-owned;
- ``domain_admins``: accounts with the DomainAdmins role the user owns.

Usage of a *domain* limit counts the domain's aliases, mailboxes, public aliases and
administrators holding the DomainAdmins role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from ... import signals
from ...extensions import db
from ...models import (
    DOMAINADMINS,
    RESELLERS,
    Alias,
    Domain,
    DomainAdmin,
    DomainAlias,
    Mailbox,
    User,
)
from ...permissions import administered_domain_ids


@dataclass(frozen=True)
class LimitTemplate:
    """A kind of limit: its name, label, who it applies to and how usage is counted."""

    name: str
    label: str
    help: str = ""
    required_role: str | None = None  # shown only for accounts of this role (reseller-only)
    count: Callable[[object], int] | None = None  # usage of a User (or Domain)
    level: str = "user"  # "user" or "domain"
    default: int = 0  # used when no deflt_* parameter exists (extra templates)


def _scalar(stmt) -> int:
    return db.session.scalar(stmt) or 0


def _owned_domains(user) -> int:
    return _scalar(select(func.count(Domain.id)).where(Domain.owner_id == user.id))


def _owned_domain_aliases(user) -> int:
    return _scalar(
        select(func.count(DomainAlias.id))
        .join(Domain, Domain.id == DomainAlias.target_id)
        .where(Domain.owner_id == user.id)
    )


def _owned_mailboxes(user) -> int:
    return _scalar(
        select(func.count(Mailbox.id))
        .join(User, User.id == Mailbox.user_id)
        .where(User.owner_id == user.id)
    )


def _administered_aliases(user) -> int:
    return _scalar(
        select(func.count(Alias.id)).where(
            Alias.internal.is_(False), Alias.domain_id.in_(administered_domain_ids(user))
        )
    )


def _owned_domain_admins(user) -> int:
    return _scalar(
        select(func.count(User.id)).where(User.owner_id == user.id, User.role == DOMAINADMINS)
    )


def _domain_count(model, column, *conditions):
    def count(domain) -> int:
        return _scalar(select(func.count(model.id)).where(column == domain.id, *conditions))

    return count


def _domain_admins_of(domain) -> int:
    return _scalar(
        select(func.count(DomainAdmin.id))
        .join(User, User.id == DomainAdmin.user_id)
        .where(DomainAdmin.domain_id == domain.id, User.role == DOMAINADMINS)
    )


_ZERO_HELP = "Maximum number of {} this user can create (0 to deny, -1 for unlimited)"

USER_LIMITS = (
    LimitTemplate("domains", "Domains", _ZERO_HELP.format("domains"), RESELLERS, _owned_domains),
    LimitTemplate("domain_aliases", "Domain aliases", _ZERO_HELP.format("domain aliases"),
                  RESELLERS, _owned_domain_aliases),
    LimitTemplate("mailboxes", "Mailboxes", _ZERO_HELP.format("mailboxes"), None,
                  _owned_mailboxes),
    LimitTemplate("mailbox_aliases", "Mailbox aliases", _ZERO_HELP.format("mailbox aliases"),
                  None, _administered_aliases),
    LimitTemplate("domain_admins", "Domain admins", _ZERO_HELP.format("domain administrators"),
                  RESELLERS, _owned_domain_admins),
)  # fmt: skip

DOMAIN_LIMITS = (
    LimitTemplate("domain_aliases", "Domain aliases", "", None,
                  _domain_count(DomainAlias, DomainAlias.target_id), "domain"),
    LimitTemplate("mailboxes", "Mailboxes", "", None,
                  _domain_count(Mailbox, Mailbox.domain_id), "domain"),
    LimitTemplate("mailbox_aliases", "Mailbox aliases", "", None,
                  _domain_count(Alias, Alias.domain_id, Alias.internal.is_(False)), "domain"),
    LimitTemplate("domain_admins", "Domain admins", "", None, _domain_admins_of, "domain"),
)  # fmt: skip


def _extra_templates() -> list[LimitTemplate]:
    found = []
    for item in signals.collect(signals.get_extra_limit_templates):
        if isinstance(item, LimitTemplate):
            found.append(item)
        else:  # Modoboa's form: (name, label, help_text)
            name, label, help_text = tuple(item)[:3]
            found.append(LimitTemplate(name, label, help_text))
    return found


def user_templates() -> list[LimitTemplate]:
    """User (administrator) limit templates, plugins' extra ones included."""
    return [*USER_LIMITS, *(t for t in _extra_templates() if t.level == "user")]


def domain_templates() -> list[LimitTemplate]:
    """Domain limit templates, plugins' extra ones included."""
    return [*DOMAIN_LIMITS, *(t for t in _extra_templates() if t.level == "domain")]


def template(name: str, level: str = "user") -> LimitTemplate | None:
    """The template called *name* at *level*, or None."""
    found = user_templates() if level == "user" else domain_templates()
    return next((t for t in found if t.name == name), None)
