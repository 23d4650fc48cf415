"""The limits and relay domains plugins through the real domain and account pages."""

import pytest
from sqlalchemy import func, select

from modoboa_flask import signals
from modoboa_flask.accounts import first_superuser
from modoboa_flask.blueprints.identities.services import create_account
from modoboa_flask.exceptions import BadRequest
from modoboa_flask.extensions import db
from modoboa_flask.models import (
    Domain,
    DomainObjectLimit,
    Mailbox,
    RelayDomain,
    User,
    UserObjectLimit,
)
from tests import factories
from tests.conftest import fresh_app, log_client_in

LIMITS = "modoboa_flask.plugins.limits"
RELAY = "modoboa_flask.plugins.relaydomains"


def _app(plugin, config=None, **defaults):
    defaults = {"core.rounds_number": 1000, **defaults}
    return fresh_app(PLUGINS=[plugin], PARAMETER_DEFAULTS=defaults, **(config or {}))


@pytest.fixture
def limits_app():
    # Domain limits on but unlimited by default: the per-admin limits are the ones tested.
    unlimited = {
        f"limits.deflt_domain_{name}_limit": "-1"
        for name in ("domain_aliases", "mailboxes", "mailbox_aliases", "domain_admins")
    }
    app = _app(LIMITS, **{"limits.enable_domain_limits": "yes", **unlimited})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def relay_app():
    app = _app(RELAY)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _superadmin(app, client):
    with app.app_context():
        admin_id = db.session.scalar(select(User.id).where(User.username == "admin"))
    return log_client_in(app, client, admin_id)


def _limit(model, owner_column, owner_id, name):
    return db.session.scalar(
        select(model.max_value).where(owner_column == owner_id, model.name == name)
    )


def test_resources_tab_of_a_domain_admin_account(limits_app):
    client = _superadmin(limits_app, limits_app.test_client())
    response = client.post(
        "/identities/accounts/new",
        data={"general-username": "boss", "general-role": "DomainAdmins",
              "general-password": "Secret123", "general-password2": "Secret123",
              "general-is_active": "y"},
    )  # fmt: skip
    assert response.status_code in (200, 303), response.get_data(as_text=True)
    with limits_app.app_context():
        boss = db.session.scalar(select(User.id).where(User.username == "boss"))
    page = client.get(f"/identities/accounts/{boss}")
    assert page.status_code == 200
    page = page.get_data(as_text=True)
    assert "Resources" in page and 'name="resources-mailboxes"' in page
    url = f"/identities/accounts/{boss}/tab/resources"
    bad = client.post(url, data={"resources-mailboxes": "-5", "resources-mailbox_aliases": "1"},
                      headers={"HX-Request": "true"})  # fmt: skip
    assert bad.status_code == 200 and "Invalid limit" in bad.get_data(as_text=True)
    saved = client.post(url, data={"resources-mailboxes": "3", "resources-mailbox_aliases": "4"},
                        headers={"HX-Request": "true"})  # fmt: skip
    assert saved.status_code == 200 and "is-invalid" not in saved.get_data(as_text=True)
    with limits_app.app_context():
        assert _limit(UserObjectLimit, UserObjectLimit.user_id, boss, "mailboxes") == 3
        assert _limit(UserObjectLimit, UserObjectLimit.user_id, boss, "mailbox_aliases") == 4


def test_resources_tab_of_a_domain(limits_app):
    client = _superadmin(limits_app, limits_app.test_client())
    data = {"general-name": "lim.org", "general-type": "domain", "general-enabled": "y"}
    assert client.post("/domains/new", data=data).status_code == 303
    with limits_app.app_context():
        domain_id = db.session.scalar(select(Domain.id).where(Domain.name == "lim.org"))
    page = client.get(f"/domains/{domain_id}/edit").get_data(as_text=True)
    assert 'id="tab-resources' in page and 'name="resources-domain_admins"' in page
    names = ("domain_aliases", "mailboxes", "mailbox_aliases", "domain_admins")
    response = client.post(
        f"/domains/{domain_id}/tabs/resources",
        data={f"resources-{n}": str(i) for i, n in enumerate(names, start=1)},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "Resources saved." in response.get_data(as_text=True)
    with limits_app.app_context():
        column = DomainObjectLimit.domain_id
        assert [_limit(DomainObjectLimit, column, domain_id, n) for n in names] == [1, 2, 3, 4]


def test_mailbox_over_the_limit_is_refused_in_place(limits_app):
    with limits_app.app_context():
        factories.make_domain("full.org")
        boss = create_account(
            first_superuser(), username="boss", role="DomainAdmins", password="Secret123",
            domains=["full.org"],
        ).id  # fmt: skip
        db.session.commit()
        # The plugin gave him the default per-admin limits: 0 mailboxes.
        assert _limit(UserObjectLimit, UserObjectLimit.user_id, boss, "mailboxes") == 0
    client = log_client_in(limits_app, limits_app.test_client(), boss)
    response = client.post(
        "/identities/accounts/new",
        data={"general-username": "new@full.org", "general-password": "Secret123",
              "general-password2": "Secret123", "general-is_active": "y"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert response.status_code == 200 and "HX-Redirect" not in response.headers
    assert "Mailboxes: limit reached" in response.get_data(as_text=True)
    with limits_app.app_context():
        assert db.session.scalar(select(func.count(Mailbox.id))) == 0
        assert db.session.scalar(select(User.id).where(User.username == "new@full.org")) is None


def test_relay_domain_through_the_wizard_and_its_tab(relay_app):
    client = _superadmin(relay_app, relay_app.test_client())
    step = client.get(
        "/domains/new?general-type=relaydomain", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert 'name="relay-target_host"' in step
    response = client.post(
        "/domains/new",
        data={"general-name": "relay.org", "general-type": "relaydomain", "general-enabled": "y",
              "relay-target_host": "mx.relay.org", "relay-target_port": "2525",
              "relay-service": "relay", "relay-verify_recipients": "y",
              "options-create_admin": "y", "options-admin_local_part": "admin",
              "options-create_postmaster": "y"},
    )  # fmt: skip
    assert response.status_code == 303, response.get_data(as_text=True)
    with relay_app.app_context():
        domain = db.session.scalar(select(Domain).where(Domain.name == "relay.org"))
        relay = db.session.scalar(select(RelayDomain).where(RelayDomain.domain_id == domain.id))
        assert (relay.target_host, relay.target_port, relay.verify_recipients) == (
            "mx.relay.org", 2525, True,
        )  # fmt: skip
        # The split domain's administrator has a local mailbox, but no postmaster alias.
        admin = db.session.scalar(select(User).where(User.username == "admin@relay.org"))
        assert admin.mailbox.domain_id == domain.id
        domain_id = domain.id
    page = client.get(f"/domains/{domain_id}/edit").get_data(as_text=True)
    assert "Relay settings" in page and 'value="mx.relay.org"' in page
    response = client.post(
        f"/domains/{domain_id}/tabs/relay",
        data={"relay-target_host": "mx2.relay.org", "relay-target_port": "25",
              "relay-service": "smtp"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Relay settings saved." in body
    assert body.count("Target host") == 1
    with relay_app.app_context():
        relay = db.session.scalar(select(RelayDomain).where(RelayDomain.domain_id == domain_id))
        assert (relay.target_host, relay.target_port, relay.verify_recipients) == (
            "mx2.relay.org", 25, False,
        )  # fmt: skip
        assert relay.service.name == "smtp"


def test_plugin_tabs_render_one_csrf_token_and_errors_once(relay_app):
    """The area's wrapper renders the token and form errors; plugin fragments only fields."""
    app = _app(LIMITS, {"WTF_CSRF_ENABLED": True}, **{"limits.enable_domain_limits": "yes"})
    try:
        with app.app_context():
            domain_id = factories.make_domain("one.org")
        page = _superadmin(app, app.test_client()).get(f"/domains/{domain_id}/edit")
        assert page.get_data(as_text=True).count('id="resources-csrf_token"') == 1
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    client = _superadmin(relay_app, relay_app.test_client())
    with relay_app.app_context():
        domain_id = factories.make_domain("r.org", type="relaydomain")

    def refuse(sender, **kw):
        raise BadRequest("Refused by a plugin")

    with signals.relay_domain_created.connected_to(refuse, sender=relay_app):
        response = client.post(
            f"/domains/{domain_id}/tabs/relay",
            data={"relay-target_host": "mx", "relay-target_port": "25", "relay-service": "relay"},
        )
    assert response.get_data(as_text=True).count("Refused by a plugin") == 1
