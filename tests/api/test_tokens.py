"""Settings > API (create, show once, list, revoke) and `flask create-api-token`."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from modoboa_flask.extensions import db
from modoboa_flask.models import ApiToken, Log, User, utcnow
from tests import factories
from tests.api.conftest import make_token

KEY = re.compile(r'id="new-token-key">([0-9a-f]{40})<')


def _keys(html):
    return KEY.findall(html)


def test_every_role_has_the_api_page(app, client, login):
    for role in ("SimpleUsers", "DomainAdmins", "Resellers", "SuperAdmins"):
        login(role)
        page = client.get("/user/api/")
        assert page.status_code == 200, role
        assert "New token" in page.get_data(as_text=True)
        assert 'href="/user/api/"' in client.get("/user/").get_data(as_text=True)


def test_create_shows_the_key_once_and_it_works(app, client, login):
    login("SimpleUsers")
    response = client.post(
        "/user/api/tokens", data={"name": "backup script", "expires_in": "30"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    [key] = _keys(html)
    assert "backup script" in html and key[:8] in html
    listing = client.get("/user/api/").get_data(as_text=True)
    assert key not in listing and f"{key[:8]}…" in listing
    assert "never" in listing  # last used
    api = app.test_client().get("/api/v1/domains/", headers={"Authorization": f"Token {key}"})
    assert api.status_code == 200
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.name == "backup script" and not token.read_only
        assert timedelta(days=29) < token.expires_at - utcnow() <= timedelta(days=30)
        assert db.session.scalar(select(Log.action).where(Log.object_type == "ApiToken")) == (
            "create"
        )


def test_read_only_option(app, client, login):
    login("DomainAdmins")
    html = client.post("/user/api/tokens", data={"read_only": "y"}).get_data(as_text=True)
    assert "read-only" in html
    with app.app_context():
        assert db.session.scalar(select(ApiToken.read_only)) is True


def test_invalid_expiry_rerenders_with_error(app, client, login):
    login("SimpleUsers")
    response = client.post("/user/api/tokens", data={"expires_in": "0"})
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_revoke_own_token(app, client, login):
    with app.app_context():
        user_id = factories.make_user(role="SimpleUsers")
        key = make_token(user_id)
        token_id = db.session.scalar(select(ApiToken.id))
    login(user_id=user_id)
    response = client.post(f"/user/api/tokens/{token_id}/revoke", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "No token yet." in response.get_data(as_text=True)
    api = app.test_client().get("/api/v1/domains/", headers={"Authorization": f"Token {key}"})
    assert api.status_code == 401


def test_cannot_revoke_someone_elses_token(app, client, login):
    with app.app_context():
        other = factories.make_user(role="SimpleUsers")
        make_token(other)
        token_id = db.session.scalar(select(ApiToken.id))
    login("DomainAdmins")
    assert client.post(f"/user/api/tokens/{token_id}/revoke").status_code == 404
    assert client.post("/user/api/tokens/abc/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id) is not None


def test_token_pages_need_login(client):
    assert client.get("/user/api/").status_code == 302
    assert client.post("/user/api/tokens").status_code == 302


def test_cli_prints_a_working_key(app, runner):
    with app.app_context():
        factories.make_user(role="DomainAdmins", username="scripted")
    args = ["create-api-token", "scripted", "--read-only", "--expires-in", "7"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    key = result.output.strip()
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    with app.app_context():
        token = db.session.scalar(select(ApiToken))
        assert token.read_only and token.user.username == "scripted"
        assert timedelta(days=6) < token.expires_at - utcnow() <= timedelta(days=7)
        log = db.session.scalar(select(Log).where(Log.object_type == "ApiToken"))
        assert log.channel == "cli"
    client = app.test_client()
    ok = client.get("/api/v1/domains/", headers={"Authorization": f"Token {key}"})
    assert ok.status_code == 200


def test_cli_refuses_unknown_or_disabled_accounts(app, runner):
    with app.app_context():
        factories.make_user(username="off", is_active=False)
    assert "No account named" in runner.invoke(args=["create-api-token", "ghost"]).output
    assert "disabled" in runner.invoke(args=["create-api-token", "off"]).output
    bad = runner.invoke(args=["create-api-token", "admin", "--expires-in", "0"])
    assert bad.exit_code != 0 and "between 1 and" in bad.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0
        assert db.session.scalar(select(User.id).where(User.username == "off"))
