"""Helpers shared by the limits plugin tests."""

from sqlalchemy import select

from modoboa_flask import signals
from modoboa_flask.extensions import db
from modoboa_flask.models import (
    Alias,
    Domain,
    User,
    UserObjectLimit,
)
from tests import factories

LIMITS = "modoboa_flask.plugins.limits"
USER_DEFAULTS = {
    f"limits.deflt_user_{n}_limit": "2"
    for n in ("domains", "domain_aliases", "mailboxes", "mailbox_aliases", "domain_admins")
}
DOMAIN_DEFAULTS = {f"limits.deflt_domain_{n}_limit": "2" for n in
                   ("domain_aliases", "mailboxes", "mailbox_aliases", "domain_admins")}  # fmt: skip


def user(user_id) -> User:
    return db.session.get(User, user_id)


def superadmin() -> User:
    """The super admin load_initial_data created (ids differ between databases)."""
    return db.session.scalar(select(User).where(User.username == "admin"))


def account(role="DomainAdmins", owner=None, creator=None) -> User:
    """A new account announced with AccountCreated, as the identities services do."""
    new = user(factories.make_user(role=role, owner_id=owner.id if owner else None))
    signals.send(signals.account_created, account=new, creator=creator)
    db.session.commit()
    return new


def domain(owner=None, admins=()) -> Domain:
    new = db.session.get(
        Domain,
        factories.make_domain(owner_id=owner.id if owner else None, admins=[a.id for a in admins]),
    )
    signals.send(signals.domain_created, user=owner, domain=new)
    db.session.commit()
    return new


def can_create(context, object_type, count=1):
    signals.send(signals.can_create_object, context=context, object_type=object_type, count=count)


def maximum(owner, name) -> int:
    return db.session.scalar(
        select(UserObjectLimit.max_value).where(
            UserObjectLimit.user_id == owner.id, UserObjectLimit.name == name
        )
    )


def public_alias(dom, local):
    db.session.add(Alias(address=f"{local}@{dom.name}", domain_id=dom.id))
    db.session.commit()
