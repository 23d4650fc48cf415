"""Role x object x action matrix: who may view, edit, delete, set the password or role of what.

Actors: the super admin, a reseller (res.com), a domain admin (test.com), a simple user
(test.com). "own" objects live in the actor's domain, "foreign" ones in test2.com.
Allowed actions must take effect; refused ones answer 403 (no permission at all) or 404
(out of scope) and change nothing.
"""

import pytest
from sqlalchemy import select

from modoboa_flask.blueprints.identities import services
from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, Mailbox, User
from modoboa_flask.passwords import verify_password
from tests import factories
from tests.blueprints.identities_world import populate, user

ACTORS = {  # actor -> (its own domain, expected outcome on own objects, on foreign objects)
    "superadmin": ("test.com", "ok", "ok"),
    "reseller": ("res.com", "ok", 404),
    "admin@test.com": ("test.com", "ok", 404),
    "user@test.com": ("test.com", 403, 403),
}
ACTIONS = [
    "view",
    "edit",
    "quota",
    "delete",
    "set_password",
    "set_role",
    "alias_view",
    "alias_edit",
    "alias_delete",
]


@pytest.fixture
def world(app):
    with app.app_context():
        ids = populate()
        admin = user(ids["superadmin"])
        ids["alias@res.com"] = services.create_alias(
            admin, address="alias@res.com", recipients=["user@res.com"]
        ).id
        ids["root@test.com"] = factories.make_mailbox(ids["test.com"], "root", role="SuperAdmins")
        db.session.commit()
        return ids


def _request(client, action, account_id, alias_id):
    base = f"/identities/accounts/{account_id}"
    general = {"general-is_active": "y"}
    with_name = lambda: {**general, "general-username": _username(account_id)}  # noqa: E731
    return {
        "view": lambda: client.get(base),
        "edit": lambda: client.post(
            f"{base}/tab/general", data={**with_name(), "general-first_name": "Changed"}
        ),
        "quota": lambda: client.post(f"{base}/tab/mail", data={"mail-quota": "5"}),
        "delete": lambda: client.post(f"{base}/delete", data={"keepdir": "y"}),
        "set_password": lambda: client.post(
            f"{base}/tab/general",
            data={
                **with_name(),
                "general-password": "Secret1234",
                "general-password2": "Secret1234",
            },
        ),
        "set_role": lambda: client.post(
            f"{base}/tab/general", data={**with_name(), "general-role": "DomainAdmins"}
        ),
        "alias_view": lambda: client.get(f"/identities/aliases/{alias_id}"),
        "alias_edit": lambda: client.post(
            f"/identities/aliases/{alias_id}",
            data={"address": _address(alias_id), "recipients": "new@ext.org", "enabled": "y"},
        ),
        "alias_delete": lambda: client.post("/identities/aliases/delete", data={"ids": alias_id}),
    }[action]()


def _username(account_id):
    return db.session.get(User, account_id).username


def _address(alias_id):
    return db.session.get(Alias, alias_id).address


def _effect(action, account_id, alias_id):
    """True when *action* changed the target."""
    account = db.session.get(User, account_id)
    alias = db.session.get(Alias, alias_id)
    mailbox = db.session.scalar(select(Mailbox).where(Mailbox.user_id == account_id))
    return {
        "view": True,
        "edit": account is not None and account.first_name == "Changed",
        "quota": mailbox is not None and mailbox.quota == 5,
        "delete": account is None,
        "set_password": account is not None and verify_password("Secret1234", account.password),
        "set_role": account is not None and account.role == "DomainAdmins",
        "alias_view": True,
        "alias_edit": alias is not None
        and [r.address for r in alias.recipients] == ["new@ext.org"],
        "alias_delete": alias is None,
    }[action]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("where", ["own", "foreign"])
@pytest.mark.parametrize("actor", list(ACTORS))
def test_matrix(app, login, world, actor, where, action):
    domain, own_outcome, foreign_outcome = ACTORS[actor]
    domain = domain if where == "own" else "test2.com"
    expected = own_outcome if where == "own" else foreign_outcome
    account_id, alias_id = world[f"user@{domain}"], world[f"alias@{domain}"]
    with app.app_context():
        db.session.get(
            Mailbox, db.session.scalar(select(Mailbox.id).where(Mailbox.user_id == account_id))
        ).quota = 0
        db.session.commit()
    client = login(user_id=world[actor])
    with app.test_request_context():
        response = _request(client, action, account_id, alias_id)
    with app.app_context():
        changed = _effect(action, account_id, alias_id)
    if action == "set_role" and actor == "admin@test.com" and expected == "ok":
        expected = "ignored"  # domain admins only give SimpleUsers: the field is not offered
    if expected == "ok":
        assert response.status_code in (200, 303), response.text
        assert changed, response.text
    elif expected == "ignored":
        assert response.status_code == 200 and not changed
    else:
        assert response.status_code == expected
        assert not changed or action in ("view", "alias_view")


@pytest.mark.parametrize(
    "actor, target",
    [
        ("admin@test.com", "root@test.com"),
        ("admin@test.com", "superadmin"),
        ("reseller", "superadmin"),
        ("admin@test.com", "reseller"),
    ],
)
@pytest.mark.parametrize("action", ["view", "edit", "delete", "set_password", "set_role"])
def test_higher_roles_are_out_of_reach(app, login, world, actor, target, action):
    client = login(user_id=world[actor])
    with app.test_request_context():
        response = _request(client, action, world[target], world["alias@test.com"])
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(User, world[target]) is not None
        assert not verify_password("Secret1234", db.session.get(User, world[target]).password)


def test_domain_admins_of_one_domain_see_each_other(app, login, world):
    with app.app_context():
        peer = factories.make_mailbox(world["test.com"], "admin2", role="DomainAdmins")
        factories.grant_domain(peer, world["test.com"])
    client = login(user_id=world["admin@test.com"])
    assert client.get(f"/identities/accounts/{peer}").status_code == 200
    assert client.get(f"/identities/accounts/{world['admin@test2.com']}").status_code == 404
