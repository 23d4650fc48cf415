"""Token authentication: header forms, bodies of the spec, expiry, revocation, throttling."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from modoboa_flask.extensions import db
from modoboa_flask.models import ApiToken, LoginFailure, User, utcnow
from tests import factories
from tests.api.conftest import ApiClient, make_token
from tests.conftest import fresh_app, log_client_in

NOT_PROVIDED = {"detail": "Authentication credentials were not provided."}


def _get(app, header, path="/api/v1/domains/", **kwargs):
    headers = {"Authorization": header} if header is not None else {}
    return app.test_client().get(path, headers=headers, **kwargs)


@pytest.mark.parametrize("header", [None, "", "Bearer abc", "Basic YWRtaW46cGFzc3dvcmQ="])
def test_missing_credentials(app, header):
    response = _get(app, header)
    assert response.status_code == 401
    assert response.json == NOT_PROVIDED
    assert response.headers["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    "header, message",
    [
        ("Token", "Invalid token header. No credentials provided."),
        ("Token a b", "Invalid token header. Token string should not contain spaces."),
        ("Token 0000000000", "Invalid token."),
    ],
)
def test_bad_credentials(app, header, message):
    response = _get(app, header)
    assert response.status_code == 401
    assert response.json == {"detail": message}


@pytest.mark.parametrize("keyword", ["Token", "token", "TOKEN", "tOkEn"])
def test_keyword_is_case_insensitive(app, api_as, keyword):
    key = api_as("SuperAdmins").key
    assert _get(app, f"{keyword} {key}").status_code == 200


def test_key_is_stored_hashed_with_a_display_prefix(app, admin_id):
    with app.app_context():
        key = make_token(admin_id)
        token = db.session.scalar(select(ApiToken))
        assert len(key) == 40 and token.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert token.prefix == key[:8]
        assert key not in {token.key_hash, token.prefix, token.name}


def test_expired_token(app, admin_id):
    with app.app_context():
        key = make_token(admin_id, expires_in_days=1)
        db.session.scalar(select(ApiToken)).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = _get(app, f"Token {key}")
    assert response.status_code == 401
    assert response.json == {"detail": "Token has expired."}


def test_token_valid_until_expiry(app, admin_id):
    with app.app_context():
        key = make_token(admin_id, expires_in_days=2)
    assert _get(app, f"Token {key}").status_code == 200


def test_revoked_token_stops_the_next_request(app, admin_id):
    from modoboa_flask.blueprints.api.tokens import revoke_token

    with app.app_context():
        key = make_token(admin_id)
    assert _get(app, f"Token {key}").status_code == 200
    with app.app_context():
        admin = db.session.get(User, admin_id)
        revoke_token(admin, db.session.scalar(select(ApiToken.id)))
        db.session.commit()
    response = _get(app, f"Token {key}")
    assert response.status_code == 401 and response.json == {"detail": "Invalid token."}


def test_disabled_account_stops_the_next_request(app):
    with app.app_context():
        user_id = factories.make_user(role="DomainAdmins")
        key = make_token(user_id)
    assert _get(app, f"Token {key}").status_code == 200
    with app.app_context():
        db.session.get(User, user_id).is_active = False
        db.session.commit()
    response = _get(app, f"Token {key}")
    assert response.status_code == 401
    assert response.json == {"detail": "User inactive or deleted."}


def test_deleted_account_token_is_gone(app):
    with app.app_context():
        user_id = factories.make_user(role="DomainAdmins")
        key = make_token(user_id)
        db.session.delete(db.session.get(User, user_id))
        db.session.commit()
    assert _get(app, f"Token {key}").status_code == 401


def test_last_used_written_at_most_once_a_minute(app, admin_id):
    with app.app_context():
        key = make_token(admin_id)
    assert _get(app, f"Token {key}").status_code == 200
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        first = token.last_used
        assert first is not None
        token.last_used = recent = utcnow() - timedelta(seconds=30)
        db.session.commit()
    _get(app, f"Token {key}")
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert abs((token.last_used - recent).total_seconds()) < 1  # untouched
        token.last_used = old = utcnow() - timedelta(minutes=2)
        db.session.commit()
    _get(app, f"Token {key}")
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used)) > old + timedelta(seconds=60)


def test_read_only_token(app, api_as):
    client = api_as("SuperAdmins", read_only=True)
    assert client.get("domains/").status_code == 200
    for method in ("POST", "PUT", "DELETE"):
        url = "domains/" if method == "POST" else "domains/1/"
        response = client.request(method, url, json={})
        assert response.status_code == 403, method
        assert response.json == {"detail": "This token is read-only."}


def test_failed_authentications_are_throttled_per_ip(app, api_as):
    good = api_as("SuperAdmins")
    limit = app.config["LOGIN_THROTTLE_ATTEMPTS"] * 4
    for _ in range(limit):
        assert _get(app, "Token wrongwrongwrong").status_code == 401
    response = _get(app, "Token wrongwrongwrong")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert "throttled" in response.json["detail"]
    # A valid token is always served: a stranger's bad tokens cannot lock a client out.
    assert good.get("domains/").status_code == 200
    # Another address is not affected; the counter lives in the database (all workers).
    other = _get(app, "Token wrongwrongwrong", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 401
    with app.app_context():
        # Throttled attempts are not counted: the address gets its budget back in time.
        assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == limit + 1


def test_web_login_failures_do_not_block_the_api(app, api_as):
    good = api_as("SuperAdmins")
    web = app.test_client()
    for i in range(app.config["LOGIN_THROTTLE_ATTEMPTS"] * 4):
        web.post("/auth/login", data={"username": f"nobody{i}", "password": "x"})
    assert web.post("/auth/login", data={"username": "x", "password": "x"}).status_code == 429
    assert good.get("domains/").status_code == 200
    # And bad tokens are counted apart: the address may still try tokens.
    assert _get(app, "Token wrongwrongwrong").status_code == 401


def test_api_failures_do_not_block_web_logins(app):
    for _ in range(app.config["LOGIN_THROTTLE_ATTEMPTS"] * 5):
        _get(app, "Token wrongwrongwrong")
    login = app.test_client().post(
        "/auth/login", data={"username": "admin", "password": "password"}
    )
    assert login.status_code == 303


def test_missing_header_is_not_a_failure(app):
    for _ in range(30):
        _get(app, None)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 0


def test_browser_session_is_not_accepted(app, client, admin_id):
    log_client_in(app, client, admin_id)
    assert client.get("/user/").status_code == 200
    response = client.get("/api/v1/domains/")
    assert response.status_code == 401 and response.json == NOT_PROVIDED


def test_api_sets_no_cookie(app, api_as):
    response = api_as("SuperAdmins").get("domains/")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_token_of_any_role_authenticates(app, api_as):
    for role in ("SuperAdmins", "Resellers", "DomainAdmins", "SimpleUsers"):
        assert api_as(role).get("domains/").status_code == 200, role


def test_unknown_path_and_method_answer_after_authentication(app, api_as):
    assert _get(app, None, "/api/v1/nowhere/").status_code == 401
    client = api_as("SuperAdmins")
    assert client.get("nowhere/").json == {"detail": "Not found."}
    response = client.request("PATCH", "domains/", json={})
    assert response.status_code == 405
    assert response.json == {"detail": 'Method "PATCH" not allowed.'}


def test_csrf_does_not_apply_to_token_requests():
    app = fresh_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        admin_id = db.session.scalar(select(User.id).where(User.username == "admin"))
        client = ApiClient(app, make_token(admin_id))
    response = client.post("domains/", json={})
    # Field errors, not a CSRF refusal.
    assert response.status_code == 400 and set(response.json) == {"name", "quota"}
    assert client.request("PATCH", "domains/").status_code == 405
    assert client.request("DELETE", "domains/999/").status_code == 404
