"""Login throttling that cannot become a lockout; client addresses behind trusted proxies."""

import pytest
from sqlalchemy import func, select

from modoboa_flask.extensions import db
from modoboa_flask.models import Log, LoginFailure, User
from modoboa_flask.passwords import hash_password
from tests.conftest import fresh_app

ATTACKER = {"REMOTE_ADDR": "198.51.100.66"}
OWNER = {"REMOTE_ADDR": "203.0.113.5"}


def _login(client, username="admin", password="password", environ=None, headers=None):
    return client.post(
        "/auth/login",
        data={"username": username, "password": password},
        environ_base=environ or {},
        headers=headers or {},
    )


def test_account_throttled_from_the_attacking_address_only(app, client):
    limit = app.config["LOGIN_THROTTLE_ATTEMPTS"]
    for _ in range(limit):
        assert _login(client, "admin", "nope", ATTACKER).status_code == 401
    # Even the right password is refused from that address while it is throttled...
    refused = _login(client, environ=ATTACKER)
    assert refused.status_code == 429
    assert b"Too many failed attempts" in refused.data
    assert int(refused.headers["Retry-After"]) >= 1
    # ...but the owner, from another address, logs in.
    assert _login(app.test_client(), environ=OWNER).status_code == 303


def test_address_throttled_for_every_account_with_a_higher_limit(app, client):
    limit = app.config["LOGIN_THROTTLE_ATTEMPTS"] * 4
    for i in range(limit - 1):
        _login(client, f"nobody{i}", "nope", ATTACKER)
    assert _login(client, environ=ATTACKER).status_code == 303
    _login(app.test_client(), "nobody", "nope", ATTACKER)
    assert _login(app.test_client(), environ=ATTACKER).status_code == 429
    assert _login(app.test_client(), environ=OWNER).status_code == 303


def test_success_clears_the_failures_of_that_account_and_address(app, client):
    limit = app.config["LOGIN_THROTTLE_ATTEMPTS"]
    for _ in range(limit - 1):
        _login(client, "admin", "nope", OWNER)
    assert _login(client, environ=OWNER).status_code == 303
    # Typos before a successful login do not count against the next mistakes.
    for _ in range(limit - 1):
        assert _login(app.test_client(), "admin", "nope", OWNER).status_code == 401
    with app.app_context():
        rows = db.session.scalars(select(LoginFailure)).all()
    assert len(rows) == limit - 1 and {r.channel for r in rows} == {"web"}


def test_throttle_keys_are_case_insensitive(app, client):
    for i in range(app.config["LOGIN_THROTTLE_ATTEMPTS"]):
        _login(client, "ADMIN" if i % 2 else "admin", "nope", ATTACKER)
    assert _login(client, "Admin", "password", ATTACKER).status_code == 429


def test_unknown_user_costs_one_hash_verification(app, client, monkeypatch):
    from modoboa_flask.blueprints.auth import services

    calls = []

    def spy(password, stored):
        calls.append(stored)
        return False

    monkeypatch.setattr(services, "verify_password", spy)
    with app.app_context():
        db.session.add(User(username="nohash", password=""))
        db.session.commit()
    for username in ("ghost", "nohash", "admin"):
        assert _login(client, username, "Secret123").status_code == 401
    assert len(calls) == 3
    # Unknown users and unusable hashes are checked against a hash of the current scheme.
    assert calls[0] == calls[1] and calls[0].startswith("{SHA512-CRYPT}")
    assert "rounds=1000$" in calls[0]  # the configured rounds, so it costs the same


def test_dummy_hash_follows_the_scheme_parameter(app, client, monkeypatch):
    from modoboa_flask import params
    from modoboa_flask.blueprints.auth import services

    seen = []
    monkeypatch.setattr(services, "verify_password", lambda pw, stored: seen.append(stored))
    with app.app_context():
        params.set("core.password_scheme", "sha256crypt")
        db.session.commit()
    _login(client, "ghost", "Secret123")
    assert seen[0].startswith("{SHA256-CRYPT}")


def test_inactive_account_is_verified_against_its_own_hash(app, client, monkeypatch):
    from modoboa_flask.blueprints.auth import services

    seen = []
    monkeypatch.setattr(services, "verify_password", lambda pw, stored: seen.append(stored))
    with app.app_context():
        stored = hash_password("Secret123", "sha512crypt", 1000)
        db.session.add(User(username="off", password=stored, is_active=False))
        db.session.commit()
    assert _login(client, "off", "Secret123").status_code == 401
    assert seen == [stored]


def test_forwarded_for_ignored_without_trusted_proxies(app, client):
    _login(client, "admin", "nope", headers={"X-Forwarded-For": "192.0.2.1"})
    with app.app_context():
        assert db.session.scalar(select(LoginFailure.ip_address)) == "127.0.0.1"


def test_trusted_proxy_gives_the_client_address():
    proxied = fresh_app(TRUSTED_PROXIES=1)
    client = proxied.test_client()
    # The client's own X-Forwarded-For entries are not believed: only the proxy's (rightmost).
    headers = {"X-Forwarded-For": "10.9.9.9, 192.0.2.1", "X-Forwarded-Proto": "https"}
    _login(client, "admin", "nope", headers=headers)
    with proxied.app_context():
        assert db.session.scalar(select(LoginFailure.ip_address)) == "192.0.2.1"
        log = db.session.scalar(select(Log).where(Log.action == "login_failed"))
        assert log.ip_address == "192.0.2.1"
    # Each client behind the proxy has its own budget.
    for _ in range(proxied.config["LOGIN_THROTTLE_ATTEMPTS"]):
        _login(client, "admin", "nope", headers=headers)
    assert _login(client, headers=headers).status_code == 429
    assert _login(client, headers={"X-Forwarded-For": "192.0.2.2"}).status_code == 303


@pytest.mark.parametrize("value", [-1, "2", True, 1.5])
def test_trusted_proxies_must_be_a_count(value):
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        fresh_app(TRUSTED_PROXIES=value)


def test_old_password_checks_of_the_profile_are_throttled(app, login):
    from tests.factories import PASSWORD, make_user

    with app.app_context():
        user_id = make_user("SimpleUsers", username="u@test.com")
    client = login(user_id=user_id)
    wrong = {"language": "en", "first_name": "Changed", "oldpassword": "wrong",
             "newpassword": "Toto12345", "confirmation": "Toto12345"}  # fmt: skip
    for _ in range(app.config["LOGIN_THROTTLE_ATTEMPTS"]):
        assert "Old password mismatch" in client.post("/user/profile", data=wrong).text
    right = dict(wrong, oldpassword=PASSWORD)
    assert "Too many failed attempts" in client.post("/user/profile", data=right).text
    with app.app_context():
        user = db.session.get(User, user_id)
        # Refused attempts saved nothing, the counted failures stayed.
        assert user.first_name != "Changed"
        assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 5


def test_trusted_proxies_from_the_environment(monkeypatch, tmp_path):
    from werkzeug.middleware.proxy_fix import ProxyFix

    from modoboa_flask import create_app

    monkeypatch.setenv("MODOBOA_DATABASE_URL", "sqlite://")
    monkeypatch.setenv("MODOBOA_TRUSTED_PROXIES", "2")
    app = create_app("config.Config", instance_path=str(tmp_path))
    assert isinstance(app.wsgi_app, ProxyFix)
    assert (app.wsgi_app.x_for, app.wsgi_app.x_proto, app.wsgi_app.x_host) == (2, 2, 0)
    monkeypatch.setenv("MODOBOA_TRUSTED_PROXIES", "0")
    assert not isinstance(
        create_app("config.Config", instance_path=str(tmp_path)).wsgi_app, ProxyFix
    )
