"""Filter pages without a mail server: scope, login, configuration and input checks."""

import pytest

from modoboa_flask.extensions import db
from modoboa_flask.models import Log
from tests.blueprints.identities_world import populate

RULE = {
    "name": "r", "match": "all", "enabled": "y", "conditions-0-field": "from",
    "conditions-0-op": "contains", "conditions-0-value": "a", "actions-0-type": "stop",
}  # fmt: skip


@pytest.fixture
def world(app):
    with app.app_context():
        return populate()


def test_login_required(client):
    response = client.get("/filters/")
    assert response.status_code in (302, 303) and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "who, whose",
    [
        ("user@test.com", "user@test2.com"),  # a user: only their own
        ("user@test.com", "admin@test.com"),
        ("admin@test2.com", "user@test.com"),  # a domain admin: only their domains
        ("admin@test.com", "user@res.com"),
        ("reseller", "user@test.com"),
    ],
)
@pytest.mark.parametrize(
    "method, path",
    [
        ("get", ""), ("get", "rules/new"), ("post", "rules/new"), ("get", "rules/0"),
        ("post", "rules/0/up"), ("post", "rules/0/delete"), ("get", "raw"), ("post", "raw"),
        ("post", "rebuild"), ("get", "vacation"), ("post", "vacation"),
    ],
)  # fmt: skip
def test_out_of_scope_accounts_are_not_found(app, login, world, who, whose, method, path):
    client = login(user_id=world[who])
    response = getattr(client, method)(f"/filters/{world[whose]}/{path}", data=RULE)
    assert response.status_code == 404
    with app.app_context():
        assert db.session.query(Log).filter(Log.message.contains("filters")).count() == 0


def test_account_without_mailbox_has_no_filters(login, world):
    assert login(user_id=world["superadmin"]).get("/filters/").status_code == 404


def test_unconfigured_server_is_a_clear_503(login, world):
    for who, path in (("user@test.com", "/filters/"), ("admin@test.com", None)):
        client = login(user_id=world[who])
        response = client.get(path or f"/filters/{world['user@test.com']}/")
        assert response.status_code == 503
        assert "MODOBOA_SIEVE_MASTER_USER" in response.text


def test_invalid_rule_is_shown_in_place_before_any_connection(login, world):
    client = login(user_id=world["user@test.com"])
    response = client.post("/filters/rules/new", data=dict(RULE, **{"conditions-0-op": "over"}))
    assert response.status_code == 200 and "Size compares" not in response.text
    assert "Unknown comparison" in response.text
    response = client.post("/filters/rules/new", data=dict(RULE, **{"actions-0-type": ""}))
    assert response.status_code == 200 and "Add at least one action." in response.text


def test_vacation_offers_the_mailbox_and_its_aliases_only(app, login, world):
    client = login(user_id=world["user@test.com"])
    response = client.post(
        "/filters/vacation",
        data={"enabled": "y", "subject": "s", "message": "m", "addresses": ["user@test2.com"],
              "days": "7"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "&#39;user@test2.com&#39; is not a valid choice" in response.text
    assert 'value="alias@test.com"' in response.text and 'value="user@test.com"' in response.text


def test_settings_menu_links_to_filters(login, world):
    page = login(user_id=world["user@test.com"]).get("/user/").text
    assert 'href="/filters/"' in page


def test_account_page_links_to_its_filters(login, world):
    client = login(user_id=world["admin@test.com"])
    page = client.get(f"/identities/accounts/{world['user@test.com']}").text
    assert f'href="/filters/{world["user@test.com"]}/"' in page


def test_server_that_does_not_answer_is_a_clear_503(app, login, world):
    from tests.peers._proc import free_port

    app.config.update(SIEVE_MASTER_USER="m", SIEVE_MASTER_PASSWORD="p", SIEVE_PORT=free_port())
    client = login(user_id=world["user@test.com"])
    for response in (client.get("/filters/"), client.post("/filters/rules/new", data=RULE)):
        assert response.status_code == 503 and "does not answer" in response.text
    with app.app_context():
        assert db.session.query(Log).filter(Log.message.contains("filters")).count() == 0


def test_oversized_raw_script_is_refused_in_place(login, world):
    client = login(user_id=world["user@test.com"])
    response = client.post("/filters/raw", data={"script": "#" * 70_000})
    assert response.status_code == 200 and "larger than 64 KB" in response.text
