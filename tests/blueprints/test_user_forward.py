"""Self-service forward (Modoboa's ForwardTestCase and the local-destination rule)."""

import pytest

from modoboa_flask.blueprints.identities import services
from tests import factories
from tests.blueprints.identities_world import alias, populate


@pytest.fixture
def world(app):
    with app.app_context():
        return populate()


def test_set_forward_with_copy(app, login, world):
    client = login(user_id=world["user@test.com"])
    response = client.post(
        "/user/forward", data={"destinations": "User@ExtDomain.com", "keep_copy": "y"}
    )
    assert response.status_code == 200 and "Forward updated" in response.text
    page = client.get("/user/forward").text
    assert "user@extdomain.com" in page and "user@test.com</textarea>" not in page
    with app.app_context():
        forward = alias("user@test.com")
        assert not forward.internal
        assert sorted(r.address for r in forward.recipients) == [
            "user@extdomain.com",
            "user@test.com",
        ]
        assert [r.r_mailbox_id is not None for r in forward.recipients] == [False, True]
    # Super admin and the domain admin can open the forward alias.
    for admin in ("superadmin", "admin@test.com"):
        other = login(user_id=world[admin])
        with app.app_context():
            alias_id = alias("user@test.com").id
        assert other.get(f"/identities/aliases/{alias_id}").status_code == 200
    client = login(user_id=world["user@test.com"])
    client.post("/user/forward", data={"destinations": ""})
    with app.app_context():
        assert alias("user@test.com") is None


def test_local_destination_refused(app, login, world):
    client = login(user_id=world["user@test.com"])
    for local in ("user@test2.com", "someone@test.com"):
        response = client.post("/user/forward", data={"destinations": local})
        assert response.status_code == 200
        assert "Please ask your administrator to create an alias instead." in response.text
    response = client.post("/user/forward", data={"destinations": "not an address"})
    assert "Invalid mailbox syntax for not an address" in response.text
    with app.app_context():
        assert alias("user@test.com") is None
        assert services.LOCAL_FORWARD.startswith("You can't define a forward to a local")


def test_forward_needs_a_mailbox(app, login):
    with app.app_context():
        user_id = factories.make_user("SimpleUsers", username="nobox")
    assert login(user_id=user_id).get("/user/forward").status_code == 404
    assert (
        login(user_id=user_id).post("/user/forward", data={"destinations": "a@b.org"}).status_code
        == 404
    )
