"""LDAP accounts' passwords live in the directory: profile and API changes go there, never here."""

import pytest
from sqlalchemy import func, select

from modoboa_flask.blueprints.identities import services
from modoboa_flask.exceptions import BadRequest
from modoboa_flask.extensions import db
from modoboa_flask.models import LoginFailure, User
from tests.api.conftest import ApiClient, make_token
from tests.ldap_directory import PASSWORDS, configure, directory, dn


@pytest.fixture
def alice(app):
    """A slapd, the app in LDAP mode, alice logged in once (her account now exists)."""
    with directory() as server:
        configure(app, server.port)
        client = app.test_client()
        response = client.post(
            "/auth/login", data={"username": "alice@example.com", "password": PASSWORDS["alice"]}
        )
        assert response.status_code == 303
        # Yield outside the app context: requests would reuse it (and its old snapshot).
        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == "alice@example.com"))
            found = {"server": server, "client": client, "id": user.id, "stored": user.password}
        yield found


def _stored(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).password


def _profile(client, old, new):
    data = {"language": "en", "oldpassword": old, "newpassword": new, "confirmation": new}
    return client.post("/user/profile", data=data)


def test_profile_change_lands_in_the_directory(app, alice):
    server = alice["server"]
    response = _profile(alice["client"], PASSWORDS["alice"], "Newpass123")
    assert response.status_code == 200 and "Old password mismatch" not in response.text
    assert server.bind_ok(dn("alice"), "Newpass123")
    assert not server.bind_ok(dn("alice"), PASSWORDS["alice"])
    assert _stored(app, alice["id"]) == alice["stored"]  # no local copy
    login = app.test_client().post(
        "/auth/login", data={"username": "alice@example.com", "password": "Newpass123"}
    )
    assert login.status_code == 303


def test_profile_change_with_a_wrong_old_password(app, alice):
    response = _profile(alice["client"], "Wrong1234", "Newpass123")
    assert "Old password mismatch" in response.text
    assert alice["server"].bind_ok(dn("alice"), PASSWORDS["alice"])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 1


def test_profile_change_checks_the_policy_first(app, alice):
    response = _profile(alice["client"], PASSWORDS["alice"], "weak")
    assert response.status_code == 200
    assert alice["server"].bind_ok(dn("alice"), PASSWORDS["alice"])


def test_administrators_cannot_set_a_local_password(app, alice, login):
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        account = db.session.get(User, alice["id"])
        with pytest.raises(BadRequest, match="kept in the LDAP directory"):
            services.change_password(admin, account, "Another123")
        with pytest.raises(BadRequest, match="kept in the LDAP directory"):
            services.update_account(admin, account, password="Another123")
        db.session.rollback()
    assert _stored(app, alice["id"]) == alice["stored"]


def test_api_password_change_goes_to_the_directory(app, alice):
    with app.app_context():
        admin_id = db.session.scalar(select(User.id).where(User.username == "admin"))
        api = ApiClient(app, make_token(admin_id))
    url = f"accounts/{alice['id']}/password/"
    wrong = api.put(url, json={"password": "Wrong1234", "new_password": "Newpass123"})
    assert wrong.status_code == 400 and "password" in wrong.json
    ok = api.put(url, json={"password": PASSWORDS["alice"], "new_password": "Newpass123"})
    assert ok.status_code == 200, ok.json
    assert alice["server"].bind_ok(dn("alice"), "Newpass123")
    assert _stored(app, alice["id"]) == alice["stored"]


def test_hashed_attribute_when_not_user_password(app, alice):
    from modoboa_flask import ldapauth

    # Another attribute than userPassword gets a hash, written by the user themself.
    configure(app, alice["server"].port, ldap_password_attribute="description")
    with app.test_request_context():
        assert ldapauth.change_password("alice@example.com", PASSWORDS["alice"], "Newpass123")
    import ldap

    conn = ldap.initialize(alice["server"].uri)
    found = conn.search_s(dn("alice"), ldap.SCOPE_BASE, attrlist=["description"])
    assert found[0][1]["description"][0].startswith(b"{CRYPT}$6$")


def test_account_form_says_why_no_password_can_be_set(app, alice, login):
    client = login()  # a super administrator
    data = {
        "general-username": "alice@example.com",
        "general-role": "SimpleUsers",
        "general-is_active": "y",
        "general-password": "Another123",
        "general-password2": "Another123",
    }
    response = client.post(f"/identities/accounts/{alice['id']}/tab/general", data=data)
    assert response.status_code == 200
    assert "password is kept in the LDAP directory" in response.text
    assert _stored(app, alice["id"]) == alice["stored"]
