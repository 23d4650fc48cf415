"""Issue 11 through the API: accounts (with and without a `mailbox` object) and aliases."""

import pytest
from sqlalchemy import func, select

from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, Mailbox, MailboxOperation, User
from tests.hostile_names import HOSTILE_LOCAL_PARTS, UNUSUAL_LOCAL_PARTS, ids

HOSTILE = pytest.mark.parametrize("local", HOSTILE_LOCAL_PARTS, ids=ids(HOSTILE_LOCAL_PARTS))
PASSWORD = "Toto1234"


def _counts(app):
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Mailbox, Alias, MailboxOperation)
        )


@HOSTILE
def test_accounts_refuse(app, world, local):
    su = world["clients"]["super"]
    address = f"{local}@a.test"
    before = _counts(app)
    bodies = [
        # A simple user without a `mailbox` object: its username becomes the mailbox.
        {"username": address, "password": PASSWORD, "role": "SimpleUsers"},
        {"username": address, "password": PASSWORD, "role": "SimpleUsers",
         "mailbox": {"full_address": address, "quota": 0}},
        {"username": "boss", "password": PASSWORD, "role": "DomainAdmins",
         "mailbox": {"full_address": address, "quota": 0}},
    ]  # fmt: skip
    for body in bodies:
        response = su.post("accounts/", json=body)
        assert response.status_code == 400, (body, response.json)
    rename = su.put(
        f"accounts/{world['user_a']}/", json={"username": address, "role": "SimpleUsers"}
    )
    assert rename.status_code == 400 and "username" in rename.json
    moved = su.put(
        f"accounts/{world['admin_a']}/",
        json={"username": "admin@a.test", "role": "DomainAdmins",
              "mailbox": {"full_address": address, "quota": 0}},
    )  # fmt: skip
    assert moved.status_code == 400 and "mailbox" in moved.json
    assert _counts(app) == before


@HOSTILE
def test_aliases_refuse(app, world, local):
    su = world["clients"]["super"]
    before = _counts(app)
    body = {"address": f"{local}@a.test", "recipients": ["user@a.test"]}
    response = su.post("aliases/", json=body)
    assert response.status_code == 400 and "address" in response.json
    renamed = su.put(f"aliases/{world['alias_a']}/", json=body)
    assert renamed.status_code == 400 and "address" in renamed.json
    assert _counts(app) == before


@pytest.mark.parametrize("local", UNUSUAL_LOCAL_PARTS)
def test_unusual_valid_local_parts_are_accepted(world, local):
    su = world["clients"]["super"]
    body = {"username": f"{local}@a.test", "password": PASSWORD, "role": "SimpleUsers"}
    created = su.post("accounts/", json=body)
    assert created.status_code == 201, created.json
    assert created.json["mailbox"]["full_address"] == f"{local}@a.test"
    alias = su.post("aliases/", json={"address": f"{local}.x@a.test", "recipients": ["x@ext.org"]})
    assert alias.status_code == 201, alias.json


def test_external_recipients_keep_the_loose_rule(world):
    su = world["clients"]["super"]
    ok = su.post("aliases/", json={"address": "n@a.test", "recipients": ["first..last@ext.org"]})
    assert ok.status_code == 201, ok.json
    bad = su.post("aliases/", json={"address": "m@a.test", "recipients": ["a/b@ext.org"]})
    assert bad.status_code == 400 and bad.json["recipients"] == ["Enter a valid email address."]
