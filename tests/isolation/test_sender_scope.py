"""Extra sender addresses: a local one (domain or domain alias) must be in the editor's scope.

Before issue 11, a domain admin could let its mailbox send as another tenant's domain-alias
address (a domain alias was taken for an external domain), and remove grants it never gave.
"""

import pytest
from sqlalchemy import select

from modoboa_flask.blueprints.identities import services
from modoboa_flask.exceptions import PermissionDenied
from modoboa_flask.extensions import db
from modoboa_flask.models import SenderAddress, User
from tests.api.conftest import make_domain_alias
from tests.isolation.world import populate, post_mail_tab


@pytest.fixture
def world(app):
    with app.app_context():
        ids = populate()
        make_domain_alias(ids["a.test"], "a-alias.test")
        make_domain_alias(ids["b.test"], "b-alias.test")
        return ids


def _senders(account_id):
    account = db.session.get(User, account_id)
    return sorted(row.address for row in account.mailbox.sender_addresses)


@pytest.mark.parametrize(
    "address, allowed",
    [
        ("x@external.org", True),  # external: a mailbox may send as any outside address
        ("x@a.test", True),
        ("x@a-alias.test", True),  # the editor's own domain alias
        ("x@b.test", False),
        ("ceo@b-alias.test", False),  # another tenant's domain alias
    ],
)
def test_adding(app, world, address, allowed):
    with app.app_context():
        admin = db.session.get(User, world["a1"])
        account = db.session.get(User, world["ua"])
        if allowed:
            services.update_account(admin, account, sender_addresses=[address])
            db.session.commit()
            assert _senders(world["ua"]) == [address]
        else:
            with pytest.raises(PermissionDenied, match="You don't have access to this domain"):
                services.update_account(admin, account, sender_addresses=[address])
            db.session.rollback()
            assert _senders(world["ua"]) == []


@pytest.mark.parametrize("address", ["ceo@b-alias.test", "ceo@b.test"])
def test_removing_another_tenants_grant_is_refused(app, world, address):
    with app.app_context():
        superadmin = db.session.get(User, world["admin"])
        services.update_account(
            superadmin, db.session.get(User, world["ua"]), sender_addresses=[address]
        )
        db.session.commit()
        admin = db.session.get(User, world["a1"])
        with pytest.raises(PermissionDenied):
            services.update_account(admin, db.session.get(User, world["ua"]), sender_addresses=[])
        db.session.rollback()
        assert _senders(world["ua"]) == [address]


def test_mail_tab_shows_the_refusal_in_place(app, login, world):
    client = login(user_id=world["a1"])
    response = post_mail_tab(client, world["ua"], sender_addresses="ceo@b-alias.test")
    assert response.status_code == 200
    assert "You don&#39;t have access to this domain" in response.text
    with app.app_context():
        assert db.session.scalar(select(SenderAddress.id)) is None
