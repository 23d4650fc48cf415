"""Test data for the identities tests, shaped like Modoboa's `populate_database()`.

test.com (pool 100 MB, default mailbox quota 10): DomainAdmin admin@test.com, SimpleUser
user@test.com, aliases forward@ (external), alias@ (-> user@test.com), postmaster@ (two
externals). test2.com (unlimited): admin@test2.com, user@test2.com. A reseller owning
res.com with user@res.com. Every object is owned by the default super admin `admin`.
"""

import pytest
from sqlalchemy import select

from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, User
from tests import factories


def populate() -> dict:
    """Create the objects and return their ids by name."""
    from modoboa_flask.blueprints.identities import services

    admin = db.session.scalar(select(User).where(User.username == "admin"))
    ids = {"superadmin": admin.id}
    ids["test.com"] = factories.make_domain("test.com", quota=100, default_mailbox_quota=10)
    ids["test2.com"] = factories.make_domain("test2.com", quota=0)
    ids["res.com"] = factories.make_domain("res.com")
    ids["admin@test.com"] = factories.make_mailbox(
        ids["test.com"], "admin", role="DomainAdmins", quota=10, owner_id=admin.id
    )
    factories.grant_domain(ids["admin@test.com"], ids["test.com"])
    ids["user@test.com"] = factories.make_mailbox(
        ids["test.com"], "user", quota=10, owner_id=admin.id
    )
    ids["admin@test2.com"] = factories.make_mailbox(
        ids["test2.com"], "admin", role="DomainAdmins", owner_id=admin.id
    )
    factories.grant_domain(ids["admin@test2.com"], ids["test2.com"])
    ids["user@test2.com"] = factories.make_mailbox(ids["test2.com"], "user", owner_id=admin.id)
    ids["reseller"] = factories.make_user("Resellers", username="reseller", owner_id=admin.id)
    factories.grant_domain(ids["reseller"], ids["res.com"])
    ids["user@res.com"] = factories.make_mailbox(ids["res.com"], "user", owner_id=ids["reseller"])
    for address, recipients in [
        ("forward@test.com", ["user@external.com"]),
        ("alias@test.com", ["user@test.com"]),
        ("postmaster@test.com", ["toto@titi.com", "test@truc.fr"]),
        ("alias@test2.com", ["user@test2.com"]),
    ]:
        ids[address] = services.create_alias(admin, address=address, recipients=recipients).id
    db.session.commit()
    return ids


def user(user_id) -> User:
    """The account *user_id* (in the current session)."""
    return db.session.get(User, user_id)


def alias(address: str) -> Alias | None:
    """The public alias *address*."""
    return db.session.scalar(
        select(Alias).where(Alias.address == address, Alias.internal.is_(False))
    )


NEW_USER = {
    "general-username": "tester@test.com",
    "general-first_name": "Tester",
    "general-last_name": "Toto",
    "general-password": "Toto12345",
    "general-password2": "Toto12345",
    "general-is_active": "y",
    "general-role": "SimpleUsers",
    "mail-use_domain_quota": "y",
}


@pytest.fixture
def world(app):
    """The populated identities world; returns the ids by name."""
    with app.app_context():
        return populate()


def self_alias(address: str) -> Alias | None:
    """The internal self-alias of a mailbox address."""
    return db.session.scalar(select(Alias).where(Alias.address == address, Alias.internal))
