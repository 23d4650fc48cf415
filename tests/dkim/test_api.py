"""`GET/POST /api/v1/domains/{pk}/dkim/`: the record, generation, confirmed rotation, scope."""

import pytest

from modoboa_flask.extensions import db

from .conftest import key_rows


@pytest.fixture
def app(dkim_app):
    """The API world on an app that may write keys."""
    return dkim_app


# role -> (status on domain A, on domain B): permission first (403), then scope (404).
MATRIX = {"super": (200, 200), "reseller": (200, 404), "da": (200, 404), "user": (403, 403)}


@pytest.mark.parametrize("role", MATRIX)
def test_permission_matrix(app, world, role):
    api = world["clients"][role]
    for side, expected in zip(("dom_a", "dom_b"), MATRIX[role], strict=True):
        url = f"domains/{world[side]}/dkim/"
        assert api.get(url).status_code == expected
        assert api.post(url, json={"key_length": 1024}).status_code == expected
        with app.app_context():
            assert len(key_rows(world[side])) == (1 if expected == 200 else 0)


def test_generate_read_and_rotate_with_confirmation(app, world):
    api = world["clients"]["da"]
    url = f"domains/{world['dom_a']}/dkim/"
    assert api.get(url).json == {
        "enabled": False, "selector": None, "suggested_selector": "modoboa",
        "default_key_length": 2048, "keys": [],
    }  # fmt: skip
    created = api.post(url, json={"selector": "api1", "key_length": 1024})
    assert created.status_code == 200, created.json
    (key,) = created.json["keys"]
    assert (key["selector"], key["state"], key["published"]) == ("api1", "pending", False)
    assert key["record_name"] == "api1._domainkey.a.test"
    assert "".join(key["txt"]) == "v=DKIM1; k=rsa; p=" + key["public_key"]
    assert all(len(s) <= 255 for s in key["txt"])
    assert created.json["enabled"] is True

    # A second key waits for the first to be dealt with; then a rotation needs confirm=true.
    again = api.post(url, json={"selector": "api2", "key_length": 1024, "confirm": True})
    assert again.status_code == 409
    with app.app_context():
        row = key_rows(world["dom_a"])[0]
        row.state, row.published = "active", True
        db.session.commit()
    refused = api.post(url, json={"selector": "api2", "key_length": 1024})
    assert refused.status_code == 400 and "confirm" in refused.json
    rotated = api.post(url, json={"selector": "api2", "key_length": 1024, "confirm": True})
    assert rotated.status_code == 200
    assert [(k["selector"], k["state"]) for k in rotated.json["keys"]] == [
        ("api2", "pending"), ("api1", "active"),
    ]  # fmt: skip
    new_id = rotated.json["keys"][0]["id"]
    early = api.post(url, json={"action": "activate", "key": new_id, "confirm": True})
    assert early.status_code == 409
    discard = api.post(url, json={"action": "retire", "key": new_id})
    assert discard.status_code == 400 and "confirm" in discard.json
    discard = api.post(url, json={"action": "retire", "key": new_id, "confirm": True})
    assert [k["selector"] for k in discard.json["keys"]] == ["api1"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"selector": "no_underscores"}, "selector"),
        ({"key_length": 512}, "key_length"),
        ({"key_length": "2048"}, "key_length"),
        ({"action": "explode"}, "action"),
        ({"confirm": "yes"}, "confirm"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_bodies_are_400_on_their_field(app, world, body, field):
    response = world["clients"]["super"].post(f"domains/{world['dom_a']}/dkim/", json=body)
    assert response.status_code == 400 and field in response.json
    with app.app_context():
        assert key_rows(world["dom_a"]) == []
