"""An external sender address stops being external when its domain is added: another
tenant's mailbox must not keep the right to send as (and have Postfix and DKIM vouch for)
addresses of a domain, or domain alias, created (or renamed) later by someone else."""

import pytest
from sqlalchemy import select

from modoboa_flask.blueprints.domains import alias_services
from modoboa_flask.blueprints.domains import services as domain_services
from modoboa_flask.blueprints.identities import services
from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, SenderAddress, User
from tests.isolation.world import populate


@pytest.fixture
def world(app):
    with app.app_context():
        ids = populate()
        # a1 plants grants on names nobody hosts yet (external: allowed).
        a1, ua = db.session.get(User, ids["a1"]), db.session.get(User, ids["ua"])
        planted = ["ceo@new.test", "ceo@alias-b.test", "ceo@renamed.test", "me@a-later.test"]
        services.update_account(a1, ua, sender_addresses=planted)
        db.session.commit()
        return ids


def _senders(account_id):
    account = db.session.get(User, account_id)
    return sorted(row.address for row in account.mailbox.sender_addresses)


def test_a_new_domain_revokes_other_tenants_grants(app, world):
    with app.app_context():
        r2 = db.session.get(User, world["r2"])
        domain_services.create_domain(r2, name="new.test")
        db.session.commit()
        assert "ceo@new.test" not in _senders(world["ua"])


def test_a_new_domain_alias_revokes_other_tenants_grants(app, world):
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        b = db.session.get(Domain, world["b.test"])
        alias_services.create_domain_alias(admin, b, "alias-b.test")
        db.session.commit()
        assert "ceo@alias-b.test" not in _senders(world["ua"])


def test_a_renamed_domain_revokes_other_tenants_grants(app, world):
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        c = db.session.get(Domain, world["c.test"])
        domain_services.update_domain(admin, c, name="renamed.test")
        db.session.commit()
        assert "ceo@renamed.test" not in _senders(world["ua"])


def test_grants_in_the_same_tenants_new_alias_stay(app, world):
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        a = db.session.get(Domain, world["a.test"])
        alias_services.create_domain_alias(admin, a, "a-later.test")
        db.session.commit()
        assert "me@a-later.test" in _senders(world["ua"])
        assert db.session.scalar(select(SenderAddress.id).where(
            SenderAddress.address == "ceo@new.test")) is not None  # fmt: skip
