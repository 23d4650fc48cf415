"""Limits reached through the API answer 400 with the key Modoboa 1.6 used (spec §8)."""

import pytest
from sqlalchemy import func, select

from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, User
from tests import factories
from tests.api.conftest import ApiClient, make_token
from tests.conftest import fresh_app


@pytest.fixture
def limited():
    """An app with the limits plugin: a new domain admin's limits default to 0."""
    app = fresh_app(PLUGINS=["modoboa_flask.plugins.limits"])
    with app.app_context():
        dom = factories.make_domain("a.test", quota=0)
        factories.make_mailbox(dom, "user")
        admin = factories.make_user(role="DomainAdmins", username="da")
        factories.grant_domain(admin, dom)
        client = ApiClient(app, make_token(admin))
    yield app, client
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_mailbox_limit(limited):
    app, da = limited
    body = {"username": "new@a.test", "password": "Toto1234", "role": "SimpleUsers",
            "mailbox": {"full_address": "new@a.test", "quota": 0}}  # fmt: skip
    response = da.post("accounts/", json=body)
    assert response.status_code == 400
    assert response.json == {"domain": ["Mailboxes: limit reached"]}
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "new@a.test")) is None


def test_alias_limit(limited):
    app, da = limited
    response = da.post("aliases/", json={"address": "x@a.test", "recipients": ["user@a.test"]})
    assert response.status_code == 400
    assert response.json == {"non_field_errors": ["Mailbox aliases: limit reached"]}
    with app.app_context():
        public = select(func.count()).select_from(Alias).where(Alias.internal.is_(False))
        assert db.session.scalar(public) == 0
