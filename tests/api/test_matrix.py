"""Role x endpoint x method: super admin, reseller (owns A), domain admin of A, simple user of A,
on objects of domain A and domain B. Permission first (403), then visibility (404)."""

import pytest

ROLES = ("super", "reseller", "da", "user")
# (collection, world key of the object in A, in B)
OBJECTS = {
    "domains": ("dom_a", "dom_b"),
    "domainaliases": ("domalias_a", "domalias_b"),
    "accounts": ("user_a", "user_b"),
    "aliases": ("alias_a", "alias_b"),
}
# Expected status of GET detail, per role, for the object in A and in B.
READ = {
    "domains": {"super": (200, 200), "reseller": (200, 404), "da": (200, 404), "user": (404, 404)},
    "domainaliases": {
        "super": (200, 200), "reseller": (200, 404), "da": (404, 404), "user": (404, 404),
    },
    "accounts": {"super": (200, 200), "reseller": (200, 404), "da": (200, 404), "user": (404, 404)},
    "aliases": {"super": (200, 200), "reseller": (200, 404), "da": (200, 404), "user": (404, 404)},
}  # fmt: skip
# Roles whose write permission on the collection fails before any lookup (403).
FORBIDDEN = {
    "domains": {"da", "user"},
    "domainaliases": {"da", "user"},
    "accounts": {"user"},
    "aliases": {"user"},
}


def put_body(collection, side, world):
    """A valid PUT body for the object of domain *side* that changes nothing."""
    dom = "a" if side == 0 else "b"
    return {
        "domains": {"name": f"{dom}.test", "quota": 100},
        "domainaliases": {"name": f"{dom}-alias.test", "target": world[f"dom_{dom}"]},
        "accounts": {
            "username": f"user@{dom}.test",
            "role": "SimpleUsers",
            "mailbox": {"full_address": f"user@{dom}.test", "quota": 10},
        },
        "aliases": {"address": f"sales@{dom}.test", "recipients": [f"user@{dom}.test"]},
    }[collection]


def post_body(collection, side, world):
    """A valid POST body creating an object in domain *side*."""
    dom = "a" if side == 0 else "b"
    return {
        "domains": {"name": f"new-{dom}.test", "quota": 10},
        "domainaliases": {"name": f"new-{dom}-alias.test", "target": world[f"dom_{dom}"]},
        "accounts": {
            "username": f"new@{dom}.test",
            "password": "Toto1234",
            "role": "SimpleUsers",
            "mailbox": {"full_address": f"new@{dom}.test", "quota": 5},
        },
        "aliases": {"address": f"new@{dom}.test", "recipients": [f"user@{dom}.test"]},
    }[collection]


@pytest.mark.parametrize("collection", OBJECTS)
@pytest.mark.parametrize("role", ROLES)
def test_get(world, collection, role):
    client = world["clients"][role]
    for side, key in enumerate(OBJECTS[collection]):
        response = client.get(f"{collection}/{world[key]}/")
        assert response.status_code == READ[collection][role][side], (key, response.json)
    listed = {item["pk"] for item in client.get(f"{collection}/").json}
    expected = {world[k] for side, k in enumerate(OBJECTS[collection])
                if READ[collection][role][side] == 200}  # fmt: skip
    assert expected <= listed
    assert not ({world[k] for k in OBJECTS[collection]} - expected) & listed


@pytest.mark.parametrize("collection", OBJECTS)
@pytest.mark.parametrize("role", ROLES)
def test_put(world, collection, role):
    client = world["clients"][role]
    for side, key in enumerate(OBJECTS[collection]):
        response = client.put(f"{collection}/{world[key]}/", json=put_body(collection, side, world))
        if role in FORBIDDEN[collection]:
            expected = 403
        else:
            expected = READ[collection][role][side]
        assert response.status_code == expected, (key, response.json)


@pytest.mark.parametrize("collection", OBJECTS)
@pytest.mark.parametrize("role", ROLES)
def test_delete(world, collection, role):
    client = world["clients"][role]
    for side, key in reversed(list(enumerate(OBJECTS[collection]))):
        response = client.delete(f"{collection}/{world[key]}/")
        if role in FORBIDDEN[collection]:
            expected = 403
        else:
            expected = 204 if READ[collection][role][side] == 200 else 404
        assert response.status_code == expected, (key, response.get_data(as_text=True))


@pytest.mark.parametrize("collection", OBJECTS)
@pytest.mark.parametrize("role", ROLES)
def test_post(world, collection, role):
    client = world["clients"][role]
    for side in (0, 1):
        response = client.post(f"{collection}/", json=post_body(collection, side, world))
        if role in FORBIDDEN[collection]:
            expected = 403
        elif collection == "domains" or role == "super" or side == 0:
            expected = 201
        else:
            expected = 400  # the body names a domain out of the caller's reach
        assert response.status_code == expected, (side, response.json)
