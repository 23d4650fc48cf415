"""`aliases/` as the spec describes it (§10)."""

from sqlalchemy import select

from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, AliasRecipient


def test_create_with_mailbox_alias_and_external_recipients(app, world):
    su = world["clients"]["super"]
    body = {"address": "team@a.test",
            "recipients": ["user@a.test", "sales@a.test", "user_éé@nonlocal.com"]}  # fmt: skip
    response = su.post("aliases/", json=body)
    assert response.status_code == 201, response.json
    assert response.json["recipients"] == sorted(body["recipients"])
    assert response.json["enabled"] is True and response.json["internal"] is False
    with app.app_context():
        rows = db.session.scalars(
            select(AliasRecipient).join(Alias, Alias.id == AliasRecipient.alias_id)
            .where(Alias.address == "team@a.test")
        ).all()  # fmt: skip
        kinds = {r.address: (r.r_mailbox_id is not None, r.r_alias_id is not None) for r in rows}
        assert kinds["user@a.test"] == (True, False)
        assert kinds["sales@a.test"] == (False, True)
        assert kinds["user_éé@nonlocal.com"] == (False, False)


def test_catch_all(world):
    su = world["clients"]["super"]
    response = su.post("aliases/", json={"address": "@a.test", "recipients": ["user@a.test"]})
    assert response.status_code == 201 and response.json["address"] == "@a.test"


def test_address_domain_checks(world):
    da = world["clients"]["da"]
    unknown = da.post("aliases/", json={"address": "x@nowhere.test", "recipients": ["a@b.org"]})
    assert unknown.status_code == 400 and unknown.json == {"address": ["Domain not found."]}
    foreign = da.post("aliases/", json={"address": "x@b.test", "recipients": ["a@b.org"]})
    assert foreign.status_code == 400 and foreign.json == {"address": ["Permission denied."]}


def test_duplicate_and_missing_local_recipient(app, world):
    su = world["clients"]["super"]
    duplicate = su.post("aliases/", json={"address": "sales@a.test", "recipients": ["x@y.org"]})
    assert duplicate.status_code == 400 and "non_field_errors" in duplicate.json
    missing = su.post("aliases/", json={"address": "z@a.test", "recipients": ["ghost@a.test"]})
    assert missing.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Alias).where(Alias.address == "z@a.test")) is None


def test_update_replaces_recipients(world):
    su = world["clients"]["super"]
    url = f"aliases/{world['alias_a']}/"
    three = ["user@a.test", "admin@a.test", "ext@partner.org"]
    assert su.put(url, json={"address": "sales@a.test", "recipients": three}).status_code == 200
    one = su.put(url, json={"address": "sales@a.test", "recipients": ["ext@partner.org"]})
    assert one.json["recipients"] == ["ext@partner.org"]
    assert su.get(url).json["recipients"] == ["ext@partner.org"]
    empty = su.put(url, json={"address": "sales@a.test", "recipients": []})
    assert empty.status_code == 400 and "recipients" in empty.json


def test_internal_aliases_are_hidden_and_not_creatable(world):
    su = world["clients"]["super"]
    listed = su.get("aliases/").json
    assert listed and not any(a["internal"] for a in listed)
    body = {"address": "sys@a.test", "recipients": ["user@a.test"], "internal": True}
    assert su.post("aliases/", json=body).status_code == 400


def test_filter_and_delete(app, world):
    su = world["clients"]["super"]
    assert [a["address"] for a in su.get("aliases/?domain=b.test").json] == ["sales@b.test"]
    assert su.delete(f"aliases/{world['alias_b']}/").status_code == 204
    assert su.get("aliases/?domain=b.test").json == []
