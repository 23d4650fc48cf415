"""Sessions end on the server: idle timeout, absolute lifetime, remember-me, CSRF, HSTS."""

import re
from datetime import timedelta

from sqlalchemy import select

from modoboa_flask import params
from modoboa_flask.extensions import db
from modoboa_flask.models import UserSession, utcnow
from tests.conftest import fresh_app


def _login(client, remember=False):
    data = {"username": "admin", "password": "password"}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data)
    assert response.status_code == 303
    return response


def _age_session(app, *, idle=timedelta(0), age=timedelta(0)):
    """Move the only session row back in time: last used *idle* ago, opened *age* ago."""
    with app.app_context():
        row = db.session.scalar(select(UserSession))
        row.last_seen = utcnow() - idle
        row.created = utcnow() - max(age, idle)
        db.session.commit()


def _session_rows(app):
    with app.app_context():
        return len(db.session.scalars(select(UserSession)).all())


def test_idle_session_ends_and_its_row_is_deleted(app, client):
    _login(client)
    _age_session(app, idle=timedelta(minutes=59))
    assert client.get("/dashboard/").status_code == 200
    _age_session(app, idle=timedelta(minutes=61))
    assert client.get("/dashboard/").status_code == 302
    assert _session_rows(app) == 0


def test_expired_session_is_explained_on_the_login_page(app, client):
    _login(client)
    _age_session(app, idle=timedelta(minutes=61))
    fragment = client.get("/dashboard/", headers={"HX-Request": "true"})
    assert fragment.status_code == 401 and "HX-Redirect" in fragment.headers
    page = client.get(fragment.headers["HX-Redirect"]).get_data(as_text=True)
    assert "Your session has expired" in page


def test_login_sweeps_sessions_of_browsers_that_never_came_back(app, client):
    _login(client)
    _age_session(app, idle=timedelta(hours=2))
    _login(app.test_client())
    assert _session_rows(app) == 1


def test_use_keeps_a_session_open(app, client):
    _login(client)
    _age_session(app, idle=timedelta(minutes=50), age=timedelta(hours=3))
    assert client.get("/dashboard/").status_code == 200
    with app.app_context():
        row = db.session.scalar(select(UserSession))
        assert utcnow() - row.last_seen < timedelta(minutes=1)


def test_idle_timeout_is_a_parameter(app, client):
    with app.app_context():
        params.set("core.session_idle_timeout", "240")
        db.session.commit()
    _login(client)
    _age_session(app, idle=timedelta(minutes=200))
    assert client.get("/dashboard/").status_code == 200


def test_busy_session_ends_at_its_maximum_age(app, client):
    _login(client)
    _age_session(app, age=timedelta(hours=7 * 24 - 1))
    assert client.get("/dashboard/").status_code == 200
    _age_session(app, age=timedelta(hours=7 * 24 + 1))
    assert client.get("/dashboard/").status_code == 302
    assert _session_rows(app) == 0


def test_maximum_age_is_a_parameter(app, client):
    with app.app_context():
        params.set("core.session_max_age", "2")
        db.session.commit()
    _login(client, remember=True)
    remember = client.get_cookie("remember_token")
    # The remember cookie expires with the session, not after REMEMBER_COOKIE_DURATION.
    assert remember.expires is not None
    lifetime = remember.expires.timestamp() - utcnow().timestamp()
    assert timedelta(hours=1, minutes=55) < timedelta(seconds=lifetime) <= timedelta(hours=2)
    _age_session(app, age=timedelta(hours=2, minutes=1))
    assert client.get("/dashboard/").status_code == 302


def test_remember_cookie_cannot_revive_an_expired_session(app, client):
    _login(client, remember=True)
    remember = client.get_cookie("remember_token").value
    browser_restarted = app.test_client()
    browser_restarted.set_cookie("remember_token", remember)
    assert browser_restarted.get("/dashboard/").status_code == 200
    _age_session(app, age=timedelta(hours=7 * 24 + 1))
    later = app.test_client()
    later.set_cookie("remember_token", remember)
    response = later.get("/dashboard/")
    assert response.status_code == 302
    # The dead cookie is removed from the browser.
    assert later.get_cookie("remember_token") is None


def test_remembered_sessions_have_the_idle_timeout_too(app, client):
    _login(client, remember=True)
    remember = client.get_cookie("remember_token").value
    _age_session(app, idle=timedelta(minutes=61))
    later = app.test_client()
    later.set_cookie("remember_token", remember)
    assert later.get("/dashboard/").status_code == 302


def test_secure_session_cookie_makes_remember_cookie_secure_and_sends_hsts():
    secure = fresh_app(SESSION_COOKIE_SECURE=True)
    assert secure.config["REMEMBER_COOKIE_SECURE"] is True
    client = secure.test_client()
    response = client.post(
        "/auth/login",
        base_url="https://localhost",
        data={"username": "admin", "password": "password", "remember": "y"},
    )
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    assert "Secure" in remember and "HttpOnly" in remember
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    page = client.get("/auth/login", base_url="https://localhost")
    assert "max-age" in page.headers["Strict-Transport-Security"]


def test_no_hsts_without_secure_cookies(client):
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers


def _form_token(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _header_token(html):
    return re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)


def _csrf_secret(client):
    with client.session_transaction() as sess:
        return sess.get("csrf_token")


def test_csrf_secret_renewed_at_login_and_logout():
    app = fresh_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    before = _form_token(client.get("/auth/login").get_data(as_text=True))
    anonymous_secret = _csrf_secret(client)
    data = {"username": "admin", "password": "password", "csrf_token": before}
    assert client.post("/auth/login", data=data).status_code == 303
    token = _header_token(client.get("/dashboard/").get_data(as_text=True))
    assert _csrf_secret(client) not in (None, anonymous_secret)
    # A token read before the login (say, planted by someone else) no longer works.
    assert client.post("/auth/logout", headers={"X-CSRFToken": before}).status_code == 400
    logged_in_secret = _csrf_secret(client)
    assert client.post("/auth/logout", headers={"X-CSRFToken": token}).status_code == 303
    assert _csrf_secret(client) is None
    client.get("/auth/login")
    assert _csrf_secret(client) not in (None, logged_in_secret)
    # The logged-out user's token does not serve the next login in this browser.
    data = {"username": "admin", "password": "password", "csrf_token": token}
    assert client.post("/auth/login", data=data).status_code == 400
