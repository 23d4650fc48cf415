"""Login, logout, throttling, revocable sessions and security headers."""

import re

import pytest
from sqlalchemy import select

from modoboa_flask import signals
from modoboa_flask.accounts import set_password
from modoboa_flask.blueprints.identities.services import change_password, update_account
from modoboa_flask.exceptions import PermissionDenied
from modoboa_flask.extensions import db
from modoboa_flask.models import Log, User, UserSession
from modoboa_flask.passwords import hash_password
from tests import factories
from tests.conftest import fresh_app

BAD = b"Your username and password didn&#39;t match"


def _login(client, username="admin", password="password", **extra):
    data = {"username": username, "password": password, **extra}
    return client.post("/auth/login" + extra.pop("query", ""), data=data)


def test_login_and_logout(client):
    response = _login(client)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/dashboard/")
    assert client.get("/dashboard/").status_code == 200
    response = client.post("/auth/logout")
    assert response.status_code == 303 and "/auth/login" in response.headers["Location"]
    assert client.get("/dashboard/").status_code == 302


def test_simple_user_lands_on_settings(app, client):
    with app.app_context():
        factories.make_user(username="bob@example.com", password="Secret123")
    response = _login(client, "bob@example.com", "Secret123")
    assert response.headers["Location"].endswith("/user/")
    assert client.get("/dashboard/").status_code == 403


def test_username_is_case_insensitive(client):
    assert _login(client, "ADMIN").status_code == 303


@pytest.mark.parametrize(
    "target, honoured",
    [
        ("/user/", True),
        ("/dashboard/?x=1", True),
        ("https://evil.example/", False),
        ("//evil.example/", False),
        ("/\\evil.example", False),
    ],
)
def test_next_only_for_local_urls(client, target, honoured):
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"username": "admin", "password": "password"},
    )
    location = response.headers["Location"]
    assert (location.endswith(target)) is honoured
    if not honoured:
        assert location.endswith("/dashboard/")


def test_bad_password_and_inactive_account_get_the_same_answer(app, client):
    with app.app_context():
        factories.make_user(username="off", password="Secret123", is_active=False)
    wrong = _login(client, "admin", "nope")
    inactive = _login(client, "off", "Secret123")
    unknown = _login(client, "ghost", "Secret123")
    for response in (wrong, inactive, unknown):
        assert response.status_code == 401
        assert BAD in response.data


def test_failed_and_successful_logins_are_audited(app, client):
    _login(client, "admin", "nope")
    _login(client)
    client.post("/auth/logout")
    with app.app_context():
        rows = db.session.scalars(
            select(Log).where(Log.logger == "modoboa.auth").order_by(Log.id)
        ).all()
        messages = [row.message for row in rows]
    assert messages == [
        "Failed connection attempt from '127.0.0.1' as user 'admin'",
        "User 'admin' successfully logged in",
        "User 'admin' logged out",
    ]
    assert rows[0].level == "WARNING" and rows[0].ip_address == "127.0.0.1"


def test_logout_revokes_copied_cookie(app):
    first = app.test_client()
    _login(first)
    cookie = first.get_cookie("session")
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/dashboard/").status_code == 200
    first.post("/auth/logout")
    assert thief.get("/dashboard/").status_code == 302


def test_remember_me_sets_long_lived_cookie(app, client):
    _login(client, remember="y")
    remember = client.get_cookie("remember_token")
    assert remember is not None and remember.http_only
    other = app.test_client()
    other.set_cookie("remember_token", remember.value)
    assert other.get("/dashboard/").status_code == 200


def test_no_remember_cookie_by_default(client):
    _login(client)
    assert client.get_cookie("remember_token") is None


def test_password_change_ends_other_sessions_only(app):
    here, there = app.test_client(), app.test_client()
    _login(here)
    _login(there)
    with app.test_request_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        with here.session_transaction() as sess:
            admin.session_key = sess["_user_id"]
        change_password(
            admin, admin, "NewSecret1", old_password="password", keep_session=admin.session_key
        )
        db.session.commit()
    assert here.get("/dashboard/").status_code == 200
    assert there.get("/dashboard/").status_code == 302


def test_disabling_or_deleting_account_ends_its_sessions(app, login):
    with app.app_context():
        user_id = factories.make_user(role="DomainAdmins")
    client = login(user_id=user_id)
    assert client.get("/dashboard/").status_code == 200
    with app.app_context():
        db.session.get(User, user_id).is_active = False
        db.session.commit()
    assert client.get("/dashboard/").status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        user.is_active = True
        db.session.commit()
        db.session.delete(user)
        db.session.commit()
        assert (
            db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)).all()
            == []
        )


def test_old_scheme_rehashed_at_login(app, client):
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        admin.password = hash_password("password", "md5crypt")
        db.session.commit()
    _login(client)
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        assert admin.password.startswith("{SHA512-CRYPT}")


def test_user_login_and_logout_signals(app, client):
    seen = []

    def on_login(sender, request, username, password, **kw):
        seen.append(("login", username, password))

    def on_logout(sender, request, **kw):
        seen.append(("logout",))

    with (
        signals.user_login.connected_to(on_login, sender=app),
        signals.user_logout.connected_to(on_logout, sender=app),
    ):
        _login(client)
        client.post("/auth/logout")
    assert seen == [("login", "admin", "password"), ("logout",)]


def test_password_change_signal_can_forbid(app):
    from modoboa_flask.exceptions import PermissionDenied

    def veto(sender, user, **kw):
        return [True]

    with app.test_request_context(), signals.password_change.connected_to(veto, sender=app):
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        with pytest.raises(PermissionDenied):
            change_password(
                admin, admin, "NewSecret1", old_password="password", keep_session=admin.session_key
            )


def test_change_password_checks_old_and_policy(app):
    from modoboa_flask.exceptions import BadRequest

    with app.test_request_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        with pytest.raises(BadRequest, match="Old password"):
            change_password(
                admin, admin, "NewSecret1", old_password="wrong", keep_session=admin.session_key
            )
        with pytest.raises(BadRequest, match="upper-case"):
            change_password(
                admin, admin, "newsecret1", old_password="password", keep_session=admin.session_key
            )


def test_password_updated_signal(app):
    seen = []

    def receiver(sender, account, raw_password, is_creation, **kw):
        seen.append((account.username, raw_password, is_creation))

    with app.app_context(), signals.password_updated.connected_to(receiver, sender=app):
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        set_password(admin, "Another1x")
    assert seen == [("admin", "Another1x", False)]


def test_session_cookie_flags(client):
    response = _login(client)
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers_on_every_page(client):
    for response in (client.get("/auth/login"), client.get("/nope")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        script_src = re.search(r"script-src ([^;]+)", csp).group(1)
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src


def test_pages_have_no_inline_script(client):
    _login(client)
    for url in ("/auth/login", "/dashboard/", "/user/"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert not re.search(r"\son[a-z]+=", html), url


def test_htmx_request_when_logged_out_gets_401_with_redirect(client):
    response = client.get("/dashboard/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/auth/login?next=")


def test_csrf_required_when_enabled(app):
    csrf_app = fresh_app(WTF_CSRF_ENABLED=True)
    client = csrf_app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    assert (
        client.post("/auth/login", data={"username": "admin", "password": "password"}).status_code
        == 400
    )
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    ok = client.post(
        "/auth/login", data={"username": "admin", "password": "password", "csrf_token": token}
    )
    assert ok.status_code == 303
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', dashboard).group(1)
    assert client.post("/auth/logout").status_code == 400
    assert client.post("/auth/logout", headers={"X-CSRFToken": header_token}).status_code == 303


def test_password_change_veto_means_the_same_on_every_path(app):
    """The admin General tab and the profile's path refuse a vetoed account alike."""

    def veto(sender, user, **kw):
        return [True] if user.username == "vetoed@test.com" else []

    with app.test_request_context(), signals.password_change.connected_to(veto, sender=app):
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        vetoed = factories.make_user(role="DomainAdmins", username="vetoed@test.com")
        account = db.session.get(User, vetoed)
        with pytest.raises(PermissionDenied, match="can't be changed here"):
            update_account(admin, account, username="vetoed@test.com", role="DomainAdmins",
                           password="NewSecret1")  # fmt: skip
        with pytest.raises(PermissionDenied, match="can't be changed here"):
            change_password(account, account, "NewSecret1", old_password="whatever")
        # Another account is not concerned.
        change_password(admin, admin, "NewSecret1", old_password="password")
