"""No administrator takes over a peer through the API (issue 11, point 2).

The same actor x target pairs as the pages: PUT accounts/<pk>/ (profile and password
reset), PUT accounts/<pk>/password/ and DELETE accounts/<pk>/.
"""

import pytest

from modoboa_flask.extensions import db
from modoboa_flask.models import User
from modoboa_flask.passwords import verify_password
from tests.api.conftest import ApiClient, make_token
from tests.factories import PASSWORD
from tests.isolation.world import OK, cases, populate, target_id


@pytest.fixture
def world(app):
    with app.app_context():
        ids = populate()
        ids["keys"] = {name: make_token(ids[name]) for name in ("admin", "r1", "a1", "u")}
        return ids


def _state(app, account_id):
    with app.app_context():
        account = db.session.get(User, account_id)
        if account is None:
            return None
        return account.first_name, verify_password("Secret1234", account.password)


@pytest.mark.parametrize("actor, target, base", cases())
def test_api(app, world, actor, target, base):
    api = ApiClient(app, world["keys"][actor])
    account_id = target_id(world, actor, target)
    with app.app_context():
        account = db.session.get(User, account_id)
        body = {"username": account.username, "role": account.role, "first_name": "Changed"}
    put = api.put(f"accounts/{account_id}/", json={**body, "password": "Secret1234"})
    after_put = _state(app, account_id)
    password = api.put(
        f"accounts/{account_id}/password/",
        json={"password": PASSWORD, "new_password": "Other12345"},
    )
    delete = api.delete(f"accounts/{account_id}/")
    myself = target in ("self", actor)
    if base == OK:
        assert put.status_code == 200, put.json
        assert after_put == ("Changed", True)
        # The current password is now Secret1234: the one sent is wrong (400).
        assert password.status_code == 400 and "password" in password.json
        assert delete.status_code == (403 if myself else 204)
        return
    if myself and actor != "u":
        # The password endpoint knows the current password: the self-service path.
        assert [put.status_code, password.status_code] == [403, 200]
        assert delete.status_code == 403  # "You can't delete your own account"
        assert _state(app, account_id)[0] != "Changed"
        return
    assert [put.status_code, password.status_code, delete.status_code] == [base] * 3
    assert _state(app, account_id) == ("", False)


def test_peer_password_is_not_an_oracle(app, world):
    """A peer gets 403 whatever the current password sent: nothing to guess from."""
    api = ApiClient(app, world["keys"]["a1"])
    for guess in (PASSWORD, "wrong"):
        response = api.put(
            f"accounts/{world['a2']}/password/", json={"password": guess, "new_password": "x"}
        )
        assert response.status_code == 403
