"""The DKIM tab: who may use it, generating at once, confirmations, rotation, audit rows."""

import os

import pytest
from sqlalchemy import select

from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, Log
from tests import factories
from tests.conftest import fresh_app, log_client_in

from .conftest import domain_named, key_rows, mode

HX = {"HX-Request": "true"}
FAST = {"key_length": "1024"}  # key generation time adds up over a test run


@pytest.fixture
def world(dkim_app):
    """a.test (owned by a reseller, administered by a domain admin), b.test, a simple user."""
    with dkim_app.app_context():
        reseller = factories.make_user(role="Resellers")
        da = factories.make_user(role="DomainAdmins")
        a = factories.make_domain("a.test", owner_id=reseller, admins=(da,))
        b = factories.make_domain("b.test")
        user = factories.make_mailbox(a, "user")
    return {"super": None, "reseller": reseller, "da": da, "user": user, "a": a, "b": b}


def as_role(app, world, role):
    """A client logged in as *role* of the world."""
    client = app.test_client()
    user_id = world[role] if role != "super" else _superadmin_id(app)
    return log_client_in(app, client, user_id)


def _superadmin_id(app):
    from modoboa_flask.models import User

    with app.app_context():
        return db.session.scalar(select(User.id).where(User.username == "admin"))


def audit_rows(app, action):
    """Messages of the DKIM audit rows with *action*."""
    with app.app_context():
        rows = db.session.scalars(
            select(Log.message).where(Log.action == action, Log.message.like("DKIM%"))
        )
        return list(rows)


# role -> (status on a.test, status on b.test)
MATRIX = {"super": (200, 200), "reseller": (200, 404), "da": (200, 404), "user": (403, 403)}


@pytest.mark.parametrize("role", MATRIX)
def test_permission_matrix(dkim_app, world, role):
    client = as_role(dkim_app, world, role)
    for side, expected in zip(("a", "b"), MATRIX[role], strict=True):
        domain_id = world[side]
        assert client.get(f"/dkim/domains/{domain_id}").status_code == expected
        response = client.post(
            f"/dkim/domains/{domain_id}/settings", data={"enable_dkim": "1", **FAST}
        )
        assert response.status_code == expected
        with dkim_app.app_context():
            assert len(key_rows(domain_id)) == (1 if expected == 200 else 0)


def test_enabling_generates_the_key_at_once(dkim_app, world, keys_dir):
    client = as_role(dkim_app, world, "da")
    page = client.get(f"/dkim/domains/{world['a']}", headers=HX).get_data(as_text=True)
    assert 'id="dkim-enable"' in page and 'value="modoboa"' in page  # the default selector
    page = client.post(
        f"/dkim/domains/{world['a']}/settings",
        data={"enable_dkim": "1", "selector": "Mail1", **FAST},
        headers=HX,
    ).get_data(as_text=True)
    with dkim_app.app_context():
        (key,) = key_rows(world["a"])
        domain = domain_named("a.test")
        assert (key.selector, key.key_length, key.state, key.published) == (
            "mail1", 1024, "pending", False,
        )  # fmt: skip
        assert domain.enable_dkim and domain.dkim_public_key == ""  # nothing signs yet
        expected = os.path.join(os.path.realpath(keys_dir), "mail1._domainkey.a.test.pem")
        assert key.private_key_path == expected
        assert mode(key.private_key_path) == 0o640
        assert open(key.private_key_path).read().startswith("-----BEGIN RSA PRIVATE KEY")
        public = key.public_key
    assert 'id="dkim-key-mail1" data-state="pending"' in page
    assert "mail1._domainkey.a.test. IN TXT ( &#34;v=DKIM1; k=rsa; p=" + public[:200] in page
    assert 'data-copy="#dkim-record-1"' in page
    assert audit_rows(dkim_app, "create") == [
        "DKIM key generated for a.test (selector mail1, 1024 bits)"
    ]


def test_bad_input_is_refused_in_place_and_writes_nothing(dkim_app, world, keys_dir):
    client = as_role(dkim_app, world, "super")
    for data, text in [
        ({"selector": "bad_selector"}, "A selector is 1 to 30"),
        ({"key_length": "512"}, "Key size must be 1024, 2048, 4096 bits."),
    ]:
        response = client.post(
            f"/dkim/domains/{world['a']}/settings", data={"enable_dkim": "1", **data}, headers=HX
        )
        assert response.status_code == 200 and text in response.get_data(as_text=True)
        plain = client.post(
            f"/dkim/domains/{world['a']}/settings", data={"enable_dkim": "1", **data}
        )
        assert plain.status_code == 400
    with dkim_app.app_context():
        assert key_rows(world["a"]) == [] and not domain_named("a.test").enable_dkim
    assert not os.path.exists(keys_dir) or os.listdir(keys_dir) == []


def test_no_key_directory_is_a_clear_refusal(world):
    app = fresh_app(DKIM_KEYS_DIR="")
    with app.app_context():
        domain_id = factories.make_domain("c.test")
    client = log_client_in(app, app.test_client(), _superadmin_id(app))
    response = client.post(f"/dkim/domains/{domain_id}/settings", data={"enable_dkim": "1"})
    assert response.status_code == 400
    assert "MODOBOA_DKIM_KEYS_DIR" in response.get_data(as_text=True)


def _activate_first(app, domain_id):
    """Pretend the DNS check saw the first key (the BIND tests do it for real)."""
    from modoboa_flask.blueprints.dkim import services

    with app.app_context():
        (key,) = key_rows(domain_id)
        key.published = True
        services._activate(db.session.get(Domain, domain_id), key)
        db.session.commit()


def test_rotation_needs_confirmation_dns_and_activation(dkim_app, world):
    client = as_role(dkim_app, world, "da")
    base = f"/dkim/domains/{world['a']}"
    client.post(f"{base}/settings", data={"enable_dkim": "1", **FAST})
    _activate_first(dkim_app, world["a"])

    # No confirmation: refused in place, nothing generated.
    page = client.post(f"{base}/generate", data={"selector": "mail2", **FAST}, headers=HX)
    assert "Confirm that you want to generate a new DKIM key" in page.get_data(as_text=True)
    assert client.post(f"{base}/generate", data={"selector": "mail2"}).status_code == 400
    # A selector the domain used before is refused.
    reused = client.post(f"{base}/generate", data={"selector": "modoboa", "confirm": "1", **FAST})
    assert reused.status_code == 409 and "already used" in reused.get_data(as_text=True)
    with dkim_app.app_context():
        assert [k.state for k in key_rows(world["a"])] == ["active"]

    page = client.post(f"{base}/generate", data={"selector": "mail2", "confirm": "1", **FAST},
                       headers=HX).get_data(as_text=True)  # fmt: skip
    with dkim_app.app_context():
        old, new = key_rows(world["a"])
        assert (old.state, new.state, new.selector) == ("active", "pending", "mail2")
        assert domain_named("a.test").dkim_key_selector == "modoboa"  # still signs
        new_id, old_id, old_path = new.id, old.id, old.private_key_path
    assert 'id="dkim-activate-mail2" disabled' in page
    assert 'id="dkim-rotate"' not in page  # one pending key at a time

    # Not seen in DNS yet: activation refused, even confirmed.
    refused = client.post(f"{base}/keys/{new_id}/activate", data={"confirm": "1"})
    assert refused.status_code == 409 and "has not been seen yet" in refused.get_data(as_text=True)
    with dkim_app.app_context():
        key_rows(world["a"])[1].published = True
        db.session.commit()
    assert client.post(f"{base}/keys/{new_id}/activate").status_code == 400  # no confirm
    assert client.post(f"{base}/keys/{new_id}/activate", data={"confirm": "1"}).status_code == 200
    with dkim_app.app_context():
        old, new = key_rows(world["a"])
        domain = domain_named("a.test")
        assert (old.state, new.state) == ("previous", "active")
        assert (domain.dkim_key_selector, domain.dkim_public_key) == ("mail2", new.public_key)
        assert (
            domain.dkim_private_key_path == new.private_key_path and domain.dkim_key_length == 1024
        )

    # The active key cannot be retired; the previous one needs a confirmation.
    assert client.post(f"{base}/keys/{new_id}/retire", data={"confirm": "1"}).status_code == 409
    assert client.post(f"{base}/keys/{old_id}/retire").status_code == 400
    assert os.path.exists(old_path)
    assert client.post(f"{base}/keys/{old_id}/retire", data={"confirm": "1"}).status_code == 200
    with dkim_app.app_context():
        assert [k.state for k in key_rows(world["a"])] == ["retired", "active"]
    assert not os.path.exists(old_path)
    assert audit_rows(dkim_app, "create")[-1] == (
        "DKIM key rotated for a.test (selector mail2, 1024 bits)"
    )
    assert (
        audit_rows(dkim_app, "modify")[-1] == "DKIM key of selector mail2 now signs mail of a.test"
    )
    assert audit_rows(dkim_app, "delete") == [
        "DKIM key of selector modoboa retired for a.test (was previous)"
    ]


def test_a_key_of_another_domain_is_not_found(dkim_app, world):
    client = as_role(dkim_app, world, "super")
    client.post(f"/dkim/domains/{world['b']}/settings", data={"enable_dkim": "1", **FAST})
    with dkim_app.app_context():
        (key,) = key_rows(world["b"])
    response = client.post(
        f"/dkim/domains/{world['a']}/keys/{key.id}/retire", data={"confirm": "1"}
    )
    assert response.status_code == 404
    with dkim_app.app_context():
        assert key_rows(world["b"])[0].state == "pending"


def test_disabling_keeps_the_keys(dkim_app, world):
    client = as_role(dkim_app, world, "reseller")
    base = f"/dkim/domains/{world['a']}"
    client.post(f"{base}/settings", data={"enable_dkim": "1", **FAST})
    client.post(f"{base}/settings", data={"enable_dkim": "0"})
    with dkim_app.app_context():
        assert not domain_named("a.test").enable_dkim and len(key_rows(world["a"])) == 1
    client.post(f"{base}/settings", data={"enable_dkim": "1"})
    with dkim_app.app_context():
        assert domain_named("a.test").enable_dkim and len(key_rows(world["a"])) == 1
    assert audit_rows(dkim_app, "modify") == [
        "DKIM signing enabled for a.test",
        "DKIM signing disabled for a.test",
        "DKIM signing enabled for a.test",
    ]


def test_domain_page_loads_the_dkim_tab(dkim_app, world):
    client = as_role(dkim_app, world, "da")
    page = client.get(f"/domains/{world['a']}").get_data(as_text=True)
    assert f'hx-get="/dkim/domains/{world["a"]}"' in page


def test_key_files_go_only_when_the_change_is_committed(dkim_app, world):
    from modoboa_flask.blueprints.dkim import services
    from modoboa_flask.blueprints.domains import services as domain_services

    from .conftest import admin

    client = as_role(dkim_app, world, "super")
    client.post(f"/dkim/domains/{world['a']}/settings", data={"enable_dkim": "1", **FAST})
    with dkim_app.app_context():
        (key,) = key_rows(world["a"])
        path = key.private_key_path
        services.retire_key(admin(), domain_named("a.test"), key.id, confirm=True)
        db.session.rollback()  # e.g. a later step of the request failed
        assert os.path.exists(path) and key_rows(world["a"])[0].state == "pending"
        # Renaming the domain: its records are at the old name, so none counts as published.
        key = key_rows(world["a"])[0]
        key.published = True
        db.session.commit()
        domain_services.update_domain(admin(), domain_named("a.test"), name="renamed.test")
        db.session.commit()
        assert key_rows(world["a"])[0].published is False
        domain_services.delete_domain(admin(), domain_named("renamed.test"))
        assert os.path.exists(path)  # not before the commit
        db.session.commit()
    assert not os.path.exists(path)
