"""The permissions module: endpoint audit, scoped selects, role rules."""

import pytest

from modoboa_flask.exceptions import NotFound, PermissionDenied
from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, Domain, Mailbox, User
from modoboa_flask.permissions import (
    assignable_roles,
    authorize,
    can_access,
    can_manage_account,
    has_perm,
    load,
    visible,
    visible_accounts,
    visible_aliases,
    visible_domains,
    visible_mailboxes,
)
from tests import factories
from tests.conftest import log_client_in

# Endpoints reachable without a permission declaration (Flask's own static files).
UNDECLARED_ALLOWED = {"static"}


def test_every_endpoint_declares_a_permission(app):
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint not in UNDECLARED_ALLOWED
        and not endpoint.endswith(".static")
        and not getattr(view, "permission", None)
    ]
    assert missing == []


def test_public_endpoints_are_few(app):
    public = {e for e, v in app.view_functions.items() if getattr(v, "permission", "") == "public"}
    assert public <= {"auth.login", "api_docs.openapi", "api_docs.index", "healthz", "metrics"}


@pytest.fixture
def world(app):
    """Two domains A and B with an admin each, a reseller owning A, users and aliases."""
    with app.app_context():
        reseller = factories.make_user(role="Resellers", username="reseller")
        other_reseller = factories.make_user(role="Resellers", username="reseller2")
        dom_a = factories.make_domain("a.test", owner_id=reseller)
        dom_b = factories.make_domain("b.test", owner_id=other_reseller)
        admin_a = factories.make_mailbox(dom_a, "admin", role="DomainAdmins")
        factories.grant_domain(admin_a, dom_a)
        admin_a2 = factories.make_mailbox(dom_a, "admin2", role="DomainAdmins")
        factories.grant_domain(admin_a2, dom_a)
        admin_b = factories.make_mailbox(dom_b, "admin", role="DomainAdmins")
        factories.grant_domain(admin_b, dom_b)
        user_a = factories.make_mailbox(dom_a, "user")
        user_b = factories.make_mailbox(dom_b, "user")
        super_a = factories.make_mailbox(dom_a, "boss", role="SuperAdmins")
        return dict(
            reseller=reseller,
            other_reseller=other_reseller,
            dom_a=dom_a,
            dom_b=dom_b,
            admin_a=admin_a,
            admin_a2=admin_a2,
            admin_b=admin_b,
            user_a=user_a,
            user_b=user_b,
            super_a=super_a,
        )


def _names(stmt, column):
    return sorted(db.session.scalars(stmt.with_only_columns(column)))


def test_visible_domains(app, world):
    with app.app_context():
        get = lambda key: db.session.get(User, world[key])  # noqa: E731
        assert _names(visible_domains(get("super_a")), Domain.name) == ["a.test", "b.test"]
        assert _names(visible_domains(get("reseller")), Domain.name) == ["a.test"]
        assert _names(visible_domains(get("admin_a")), Domain.name) == ["a.test"]
        assert _names(visible_domains(get("admin_b")), Domain.name) == ["b.test"]
        assert _names(visible_domains(get("user_a")), Domain.name) == []


def test_visible_accounts_never_above_rank_or_outside_domains(app, world):
    with app.app_context():
        get = lambda key: db.session.get(User, world[key])  # noqa: E731
        seen = _names(visible_accounts(get("admin_a")), User.username)
        # Peers of the same domain see each other; never the super admin of the domain.
        assert seen == ["admin2@a.test", "admin@a.test", "user@a.test"]
        assert _names(visible_accounts(get("user_a")), User.username) == ["user@a.test"]
        reseller_sees = _names(visible_accounts(get("reseller")), User.username)
        assert "user@b.test" not in reseller_sees and "boss@a.test" not in reseller_sees
        assert {"reseller", "admin@a.test", "user@a.test"} <= set(reseller_sees)
        assert len(_names(visible_accounts(get("super_a")), User.username)) == 9


def test_visible_mailboxes_and_aliases(app, world):
    with app.app_context():
        admin_a = db.session.get(User, world["admin_a"])
        mailboxes = _names(visible_mailboxes(admin_a), Mailbox.address)
        assert mailboxes == ["admin", "admin2", "user"]
        aliases = _names(visible_aliases(admin_a), Alias.address)
        assert all(address.endswith("@a.test") for address in aliases) and aliases


def test_reseller_sees_what_its_domain_admins_created(app, world):
    with app.app_context():
        created = factories.make_user(username="made-by-admin", owner_id=world["admin_a"])
        admin_a = db.session.get(User, world["admin_a"])
        admin_a.owner_id = world["reseller"]
        db.session.commit()
        reseller = db.session.get(User, world["reseller"])
        assert can_access(reseller, db.session.get(User, created))
        assert not can_access(
            db.session.get(User, world["other_reseller"]), db.session.get(User, created)
        )


def test_can_manage_account_respects_rank(app, world):
    with app.app_context():
        get = lambda key: db.session.get(User, world[key])  # noqa: E731
        assert can_manage_account(get("admin_a"), get("user_a"))
        assert not can_manage_account(get("admin_a"), get("admin_a2"))  # a peer: seen only
        assert not can_manage_account(get("admin_a"), get("admin_a"))  # itself: the profile
        assert not can_manage_account(get("admin_a"), get("super_a"))
        assert not can_manage_account(get("admin_a"), get("user_b"))
        assert not can_manage_account(get("admin_a"), get("reseller"))
        assert not can_manage_account(get("user_a"), get("admin_a"))


def test_assignable_roles(app, world):
    with app.app_context():
        get = lambda key: db.session.get(User, world[key])  # noqa: E731
        admin = db.session.scalars(db.select(User).where(User.username == "admin")).one()
        assert assignable_roles(admin) == [
            "SimpleUsers",
            "DomainAdmins",
            "Resellers",
            "SuperAdmins",
        ]
        assert assignable_roles(get("reseller")) == ["SimpleUsers", "DomainAdmins"]
        assert assignable_roles(get("admin_a")) == ["SimpleUsers"]
        assert assignable_roles(get("admin_a"), get("admin_a")) == ["DomainAdmins"]
        assert assignable_roles(get("user_a")) == []


def test_user_can_set_role_signal_vetoes(app, world):
    from modoboa_flask import signals

    def veto(sender, user, role, account, **kw):
        return [role != "DomainAdmins"]

    with app.app_context(), signals.user_can_set_role.connected_to(veto, sender=app):
        reseller = db.session.get(User, world["reseller"])
        assert assignable_roles(reseller) == ["SimpleUsers"]


def test_has_perm_by_role(app, world):
    with app.app_context():
        get = lambda key: db.session.get(User, world[key])  # noqa: E731
        assert has_perm(get("reseller"), "domains.add")
        assert not has_perm(get("admin_a"), "domains.add")
        assert has_perm(get("admin_a"), "accounts.add")
        assert not has_perm(get("user_a"), "accounts.view")
        assert has_perm(get("super_a"), "anything.at.all")
        disabled = get("admin_a")
        disabled.is_active = False
        assert not has_perm(disabled, "accounts.add")


@pytest.fixture
def probes(app):
    """Two probe views: one loading a domain, one loading an account to manage."""

    @load(Domain, "domain_id", "domains.view", perm="domains.delete")
    def domain_probe(domain):
        return domain.name

    @load(User, "account_id", "accounts.change", manage=True)
    def account_probe(account):
        return account.username

    app.add_url_rule("/probe/domain/<int:domain_id>", view_func=domain_probe)
    app.add_url_rule("/probe/account/<int:account_id>", view_func=account_probe)
    return app


@pytest.mark.parametrize(
    "who, target, status",
    [
        ("reseller", "dom_a", 200),
        ("reseller", "dom_b", 404),  # out of scope: no hint it exists
        ("admin_a", "dom_a", 403),  # in scope, without domains.delete
        ("admin_a", "dom_b", 404),
        ("user_a", "dom_a", 403),  # the gate (domains.view) comes first
    ],
)
def test_load_checks_scope_then_permission(probes, client, world, who, target, status):
    log_client_in(probes, client, world[who])
    response = client.get(f"/probe/domain/{world[target]}")
    assert response.status_code == status
    if status == 200:
        assert response.data == b"a.test"


@pytest.mark.parametrize(
    "target, status", [("user_a", 200), ("admin_a2", 403), ("user_b", 404), ("admin_a", 403)]
)
def test_load_with_manage_refuses_peers_and_oneself(probes, client, world, target, status):
    log_client_in(probes, client, world["admin_a"])
    assert client.get(f"/probe/account/{world[target]}").status_code == status


def test_load_requires_login_and_declares_its_permission(probes, client, world):
    response = client.get(f"/probe/domain/{world['dom_a']}")
    assert response.status_code in (302, 303) and "/auth/login" in response.headers["Location"]
    assert probes.view_functions["domain_probe"].permission == "domains.delete"
    assert client.get("/probe/domain/99999999999").status_code in (302, 303, 404)


def test_authorize_refuses_out_of_scope_before_missing_right(app, world):
    with app.app_context():
        admin_a = db.session.get(User, world["admin_a"])
        with pytest.raises(NotFound):
            authorize(admin_a, "domains.view", db.session.get(Domain, world["dom_b"]))
        with pytest.raises(PermissionDenied):
            authorize(admin_a, "domains.delete", db.session.get(Domain, world["dom_a"]))
        authorize(admin_a, "domains.view", db.session.get(Domain, world["dom_a"]))


def test_visible_is_the_scoped_select_of_each_model(app, world):
    with app.app_context():
        admin_a = db.session.get(User, world["admin_a"])
        assert _names(visible(Domain, admin_a), Domain.name) == ["a.test"]
        assert _names(visible(Mailbox, admin_a), Mailbox.address) == ["admin", "admin2", "user"]
