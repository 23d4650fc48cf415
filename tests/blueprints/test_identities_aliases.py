"""Aliases, forwards and catch-alls: Modoboa's test_alias.py behaviours and bulk delete."""

import pytest
from sqlalchemy import select

from modoboa_flask.blueprints.identities import services
from modoboa_flask.exceptions import BadRequest, Conflict, NotFound, PermissionDenied
from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, Mailbox
from tests.blueprints.identities_world import alias, populate, user


@pytest.fixture
def world(app):
    with app.app_context():
        return populate()


def _mailbox_id(user_id):
    return db.session.scalar(select(Mailbox.id).where(Mailbox.user_id == user_id))


def test_duplicates_case_and_tags(app, world):
    with app.app_context():
        admin = user(world["superadmin"])
        created = services.create_alias(
            admin,
            address="Toto@Test.com",
            recipients=["user@test.com", "USER@test.com", "user+spam@test.com", "x@ext.org"],
        )
        db.session.commit()
        assert created.address == "toto@test.com"
        mailbox = _mailbox_id(world["user@test.com"])
        assert sorted((r.address, r.r_mailbox_id, r.r_alias_id) for r in created.recipients) == [
            ("user@test.com", mailbox, None),
            ("x@ext.org", None, None),
        ]
        tagged = services.create_alias(
            admin, address="tag@test.com", recipients=["user+spam@test.com"]
        )
        assert tagged.recipients[0].r_mailbox_id == mailbox
        utf8 = services.create_alias(admin, address="testé@test.com", recipients=["a@b.org"])
        assert utf8.address == "testé@test.com"


def test_dlist_crud_and_alias_recipient(app, world):
    with app.app_context():
        admin = user(world["superadmin"])
        dlist = services.create_alias(
            admin,
            address="all@test.com",
            recipients=["user@test.com", "admin@test.com", "ext@titi.com", "alias@test.com"],
        )
        db.session.commit()
        assert len(dlist.recipients) == 4
        nested = [r for r in dlist.recipients if r.address == "alias@test.com"][0]
        assert nested.r_alias_id == world["alias@test.com"] and nested.r_mailbox_id is None
        services.update_alias(admin, dlist, recipients=["user@test.com", "admin@test.com"])
        db.session.commit()
        assert len(dlist.recipients) == 2
        assert services.delete_aliases(admin, [dlist]) == 1
        db.session.commit()
        assert alias("all@test.com") is None


def test_recipient_errors(app, world):
    with app.app_context():
        admin = user(world["superadmin"])
        with pytest.raises(NotFound, match="Local recipient nobody@test.com not found"):
            services.create_alias(admin, address="a@test.com", recipients=["nobody@test.com"])
        db.session.rollback()
        with pytest.raises(BadRequest, match="No recipient defined"):
            services.create_alias(admin, address="a@test.com", recipients=[" "])
        db.session.rollback()
        with pytest.raises(Conflict, match="can't be a recipient of itself"):
            services.update_alias(admin, alias("alias@test.com"), recipients=["alias@test.com"])
        db.session.rollback()
        with pytest.raises(Conflict, match="Alias with this name already exists"):
            services.create_alias(admin, address="alias@test.com", recipients=["x@y.org"])
        db.session.rollback()
        with pytest.raises(BadRequest, match="Domain does not exist"):
            services.create_alias(admin, address="a@nowhere.org", recipients=["x@y.org"])
        db.session.rollback()


def test_forward_on_a_mailbox_address_and_wildcard_and_random(app, world):
    with app.app_context():
        admin = user(world["superadmin"])
        forward = services.create_alias(admin, address="user@test.com", recipients=["r@dest.com"])
        services.update_alias(admin, forward, recipients=["r@dest.com", "user@test.com"])
        assert len(forward.recipients) == 2
        assert all(r.r_alias_id is None for r in forward.recipients)
        catchall = services.create_alias(admin, address="@test.com", recipients=["user@test.com"])
        assert catchall.address == "@test.com" and catchall.domain_id == world["test.com"]
        before = db.session.scalar(select(db.func.count()).select_from(Alias))
        random = services.create_alias(
            admin, address="", recipients=["user@test.com"], random_address=True, domain="test.com"
        )
        assert len(random.address.split("@")[0]) == 20
        assert db.session.scalar(select(db.func.count()).select_from(Alias)) == before + 1
        with pytest.raises(BadRequest) as exc:
            services.create_alias(
                admin, address="", recipients=["user@test.com"], random_address=True
            )
        assert exc.value.field == "domain"
        db.session.rollback()


def test_domain_admin_scope(app, login, world):
    with app.app_context():
        domadmin = user(world["admin@test.com"])
        # Recipients may be mailboxes of domains they don't administer (Modoboa allows it).
        services.create_alias(
            domadmin, address="dlist@test.com", recipients=["user@test.com", "user@test2.com"]
        )
        with pytest.raises(PermissionDenied, match="You don't have access to this domain"):
            services.create_alias(domadmin, address="x@test2.com", recipients=["user@test.com"])
        db.session.rollback()
        with pytest.raises(PermissionDenied):
            services.update_alias(domadmin, alias("forward@test.com"), address="f@test2.com")
        db.session.rollback()
        with pytest.raises(NotFound):
            services.update_alias(domadmin, alias("alias@test2.com"), enabled=False)
        db.session.rollback()
    client = login(user_id=world["admin@test.com"])
    assert client.get(f"/identities/aliases/{world['alias@test2.com']}").status_code == 404
    assert (
        client.post(
            f"/identities/aliases/{world['alias@test2.com']}", data={"recipients": "a@b.org"}
        ).status_code
        == 404
    )
    with app.app_context():
        self_alias = db.session.scalar(select(Alias.id).where(Alias.internal.is_(True)))
    assert client.get(f"/identities/aliases/{self_alias}").status_code == 404


def test_bulk_delete_is_all_or_nothing(app, login, world):
    client = login(user_id=world["admin@test.com"])
    own = [world["forward@test.com"], world["alias@test.com"]]
    response = client.post(
        "/identities/aliases/delete", data={"ids": [*own, world["alias@test2.com"]]}
    )
    assert response.status_code == 404
    with app.app_context():
        assert alias("forward@test.com") and alias("alias@test2.com")
    response = client.post("/identities/aliases/delete", data={"ids": own})
    assert response.status_code == 303
    with app.app_context():
        assert alias("forward@test.com") is None and alias("alias@test.com") is None
        assert alias("postmaster@test.com") is not None


def test_deleting_an_alias_removes_it_from_lists(app, world):
    with app.app_context():
        admin = user(world["superadmin"])
        services.create_alias(admin, address="only@test.com", recipients=["alias@test.com"])
        services.create_alias(
            admin, address="two@test.com", recipients=["alias@test.com", "x@ext.org"]
        )
        services.delete_aliases(admin, [alias("alias@test.com")])
        db.session.commit()
        assert alias("only@test.com") is None
        assert [r.address for r in alias("two@test.com").recipients] == ["x@ext.org"]


def test_alias_pages(app, login, world):
    client = login(user_id=world["admin@test.com"])
    assert client.get("/identities/aliases/new").status_code == 200
    response = client.post(
        "/identities/aliases/new",
        data={
            "address": "Titi@test.com",
            "recipients": "user@test.com\next@out.org",
            "enabled": "y",
        },
    )
    assert response.status_code == 303
    response = client.post(
        "/identities/aliases/new", data={"address": "x@test2.com", "recipients": "user@test.com"}
    )
    assert (
        response.status_code == 200 and "You don&#39;t have access to this domain" in response.text
    )
    response = client.post(
        "/identities/aliases/new", data={"address": "y@test.com", "recipients": ""}
    )
    assert "No recipient defined" in response.text
    with app.app_context():
        titi = alias("titi@test.com")
        assert titi.enabled and len(titi.recipients) == 2
        titi_id = titi.id
    response = client.post(
        f"/identities/aliases/{titi_id}",
        data={
            "address": "titi@test.com",
            "recipients": "user@test.com",
            "description": "hi",
            "expire_at": "2030-01-02T03:04",
        },
    )
    assert response.status_code == 200 and "Alias saved" in response.text
    with app.app_context():
        titi = alias("titi@test.com")
        assert not titi.enabled and titi.description == "hi" and titi.expire_at.year == 2030
        assert [r.address for r in titi.recipients] == ["user@test.com"]
