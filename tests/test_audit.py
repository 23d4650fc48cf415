"""Audit-log content: who, when, from where, which channel, what object, before/after.

The parameter, preference, limits and session rows are written by this area and tested
against the real code. Domain, domain-alias, account and alias rows are written by the
domains and identities services (other areas): their generic checks below follow the
service contracts of docs/DEVELOPING.md and skip only while those modules are absent.
"""

import importlib

import pytest
from flask import g
from sqlalchemy import select

from modoboa_flask import audit
from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, Log, User
from modoboa_flask.plugins.limits import services as limits
from tests import factories

HX = {"HX-Request": "true"}


def _logs(**where):
    stmt = select(Log).order_by(Log.id)
    for column, value in where.items():
        stmt = stmt.where(getattr(Log, column) == value)
    return db.session.scalars(stmt).all()


def test_diff_masks_secrets_and_record_drops_them(app):
    changes = audit.diff(
        {"first_name": "A", "password": "old", "quota": 1},
        {"first_name": "B", "password": "new", "quota": 1},
    )
    assert changes == {"first_name": ["A", "B"], "password": ["***", "***"]}
    with app.test_request_context(environ_base={"REMOTE_ADDR": "198.51.100.4"}):
        g.actor = db.session.get(User, factories.make_user(username="auditor"))
        entry = audit.record("x", action="modify", changes={"password": ["a", "b"], "x": [1, 2]})
        assert entry.changes == {"x": [1, 2]}
        assert (entry.username, entry.ip_address, entry.channel) == (
            "auditor", "198.51.100.4", "ui",
        )  # fmt: skip


def test_parameter_modify_records_before_after(app, login):
    login(username="boss").post(
        "/settings/parameters/core", data={"core-items_per_page": "15"}, headers=HX
    )
    with app.app_context():
        (row,) = _logs(object_type="Parameter")
        assert (row.action, row.object_repr, row.username, row.channel, row.ip_address) == (
            "modify", "core.items_per_page", "boss", "ui", "127.0.0.1",
        )  # fmt: skip
        assert row.changes == {"core.items_per_page": ["30", "15"]}
        assert row.date_created is not None


def test_secret_parameter_values_never_reach_the_log(app, login):
    client = login()
    form = "core-ldap_bind_password"
    client.post("/settings/parameters/core", data={form: "k" * 16}, headers=HX)
    client.post("/settings/parameters/core", data={form: "z" * 24}, headers=HX)
    with app.app_context():
        rows = _logs(object_repr="core.ldap_bind_password")
        assert [r.changes for r in rows] == [{"core.ldap_bind_password": ["***", "***"]}] * 2
        assert not any("kkkk" in r.message or "zzzz" in r.message for r in _logs())


def test_limits_modify_records_before_after(app):
    from tests.conftest import make_app

    limits_app = make_app(PLUGINS=["modoboa_flask.plugins.limits"])
    with limits_app.test_request_context():
        db.create_all()
        superadmin = db.session.get(User, factories.make_user(role="SuperAdmins", username="sa"))
        g.actor = superadmin
        target = db.session.get(User, factories.make_user(role="DomainAdmins"))
        limits.set_user_limits(superadmin, target, {"mailboxes": 4})
        (row,) = _logs(object_type="User", action="modify")
        assert (row.object_id, row.username) == (target.id, "sa")
        assert row.changes == {"limit.mailboxes": [0, 4]}
        db.session.rollback()


def test_sessions_are_logged(app, client):
    client.post("/auth/login", data={"username": "nobody", "password": "x"})
    client.post("/auth/login", data={"username": "admin", "password": "password"})
    client.post("/auth/logout")
    with app.app_context():
        rows = _logs(logger="modoboa.auth")
        assert [(r.action, r.level, r.username) for r in rows] == [
            ("login_failed", "WARNING", "nobody"),
            ("login", "INFO", "admin"),
            ("logout", "INFO", "admin"),
        ]
        assert rows[0].message == "Failed connection attempt from '127.0.0.1' as user 'nobody'"
        assert all(r.channel == "ui" and r.ip_address == "127.0.0.1" for r in rows)


# --- objects owned by other areas ---------------------------------------------------------
def _service(module):
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError:
        pytest.skip(f"{module} is not merged yet")


@pytest.fixture
def actor(app):
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        g.actor = db.session.scalar(select(User).where(User.username == "admin"))
        yield g.actor
        db.session.rollback()


def _check(obj, action, actor, kind):
    row = _logs(object_type=kind, action=action)[-1]
    assert (row.object_id, row.username, row.ip_address) == (obj.id, actor.username, "203.0.113.9")
    return row


def test_domain_and_domain_alias_lifecycle_is_audited(actor):
    domains = _service("modoboa_flask.blueprints.domains.services")
    dom = domains.create_domain(actor, name="audit.test", quota=10)
    db.session.flush()
    _check(dom, "create", actor, "Domain")
    domains.update_domain(actor, dom, quota=50)
    assert _check(dom, "modify", actor, "Domain").changes["quota"] == [10, 50]
    alias = domains.create_domain_alias(actor, dom, "audit-alias.test")
    db.session.flush()
    _check(alias, "create", actor, "DomainAlias")
    domains.update_domain_alias(actor, alias, enabled=False)
    assert _check(alias, "modify", actor, "DomainAlias").changes["enabled"] == [True, False]
    domains.delete_domain_alias(actor, alias)
    assert _logs(object_type="DomainAlias", action="delete")[-1].object_repr == "audit-alias.test"
    domains.delete_domain(actor, dom)
    assert _logs(object_type="Domain", action="delete")[-1].object_repr == "audit.test"


def test_account_and_alias_lifecycle_is_audited(actor):
    _service("modoboa_flask.blueprints.domains.services")
    identities = _service("modoboa_flask.blueprints.identities.services")
    factories.make_domain("audit.test")
    account = identities.create_account(
        actor, username="someone@audit.test", password="Secret-1234", first_name="Old"
    )
    db.session.flush()
    created = _check(account, "create", actor, "User")
    assert "Secret-1234" not in str(created.changes) + created.message
    identities.update_account(actor, account, first_name="New")
    assert _check(account, "modify", actor, "User").changes["first_name"] == ["Old", "New"]
    identities.change_password(actor, account, "Other-5678x")
    assert all("Other-5678x" not in str(r.changes) for r in _logs(object_type="User"))
    alias = identities.create_alias(actor, address="list@audit.test", recipients=["x@example.org"])
    db.session.flush()
    _check(alias, "create", actor, "Alias")
    identities.update_alias(actor, alias, description="team")
    assert _check(alias, "modify", actor, "Alias").changes["description"] == ["", "team"]
    identities.delete_aliases(actor, [alias])
    assert _logs(object_type="Alias", action="delete")[-1].object_repr == "list@audit.test"
    identities.delete_account(actor, account)
    assert _logs(object_type="User", action="delete")[-1].object_repr == "someone@audit.test"


def test_grants_from_the_permissions_tab_are_audited(actor):
    identities = _service("modoboa_flask.blueprints.identities.services")
    domain = db.session.get(Domain, factories.make_domain("grant.test"))
    boss = identities.create_account(
        actor, username="boss@grant.test", password="Secret-1234", role="DomainAdmins"
    )
    identities.update_account(actor, boss, domains=["grant.test"])
    row = _check(domain, "modify", actor, "Domain")
    assert row.message == "boss@grant.test now administers domain 'grant.test'"
    assert row.changes == {"administrators": [None, "boss@grant.test"]}
    identities.update_account(actor, boss, domains=[])
    row = _check(domain, "modify", actor, "Domain")
    assert row.message == "boss@grant.test no longer administers domain 'grant.test'"
    assert row.changes == {"administrators": ["boss@grant.test", None]}
