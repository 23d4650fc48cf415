"""A peer's administered domains outside the viewer's scope stay hidden in the API and the
CSV export, as on its (read-only) page: ax administers a.test and b.test; a1 sees ax (a peer
in a.test) but must not learn about b.test, another tenant's domain."""

import pytest

from tests.api.conftest import ApiClient, make_token
from tests.isolation.world import populate


@pytest.fixture
def world(app):
    with app.app_context():
        return populate()


def test_export(app, client, login, world):
    login(user_id=world["a1"])
    body = client.get("/imports/export/identities").get_data(as_text=True)
    row = next(line for line in body.splitlines() if line.startswith("account;ax@a.test;"))
    assert row.endswith(";a.test") and "b.test" not in body


def test_api(app, world):
    with app.app_context():
        api = ApiClient(app, make_token(world["a1"]))
    assert api.get(f"accounts/{world['ax']}/").get_json()["domains"] == ["a.test"]
    listed = {a["username"]: a for a in api.get("accounts/").get_json()}
    assert listed["ax@a.test"]["domains"] == ["a.test"]


def test_super_admins_see_every_domain(app, world):
    with app.app_context():
        api = ApiClient(app, make_token(world["admin"]))
    assert api.get(f"accounts/{world['ax']}/").get_json()["domains"] == ["a.test", "b.test"]
