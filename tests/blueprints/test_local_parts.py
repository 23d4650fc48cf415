"""Issue 11: no page or service creates or renames an address whose local part is a path.

Each hostile local part (tests/hostile_names.py) is refused with a message and nothing
written, through the web pages and the services; unusual but valid ones are accepted.
"""

import pytest
from sqlalchemy import func, select

from modoboa_flask.blueprints.domains import services as domain_services
from modoboa_flask.blueprints.identities import services
from modoboa_flask.bounds import NUL
from modoboa_flask.exceptions import BadRequest
from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, Domain, Mailbox, MailboxOperation, User
from tests.blueprints.identities_world import NEW_USER, alias, populate, user
from tests.blueprints.test_domains_create import wizard
from tests.hostile_names import HOSTILE_LOCAL_PARTS, UNUSUAL_LOCAL_PARTS, ids

HOSTILE = pytest.mark.parametrize("local", HOSTILE_LOCAL_PARTS, ids=ids(HOSTILE_LOCAL_PARTS))
HTMX = {"HX-Request": "true"}
LOGIN_HOSTILE = {
    "../b.com/u2",
    "..",
    ".",
    "a/b",
    "a\\b",
    "a\x00b",
    "a\tb",
    "a\nb",
    "a b",
    "a\u202eb",
}


@pytest.fixture
def world(app):
    with app.app_context():
        return populate()


def refused_on_the_page(response, local: str, marker: str) -> bool:
    """A field error (200 with *marker*); a NUL is refused before any form (400, bounds.py)."""
    if "\x00" in local:
        return response.status_code == 400 and NUL in response.text
    return response.status_code == 200 and marker in response.text


def _counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Mailbox, Alias, Domain, MailboxOperation)
    )


# --- web pages ------------------------------------------------------------------------------
@HOSTILE
def test_account_creation_page_refuses(app, login, world, local):
    client = login(user_id=world["superadmin"])
    with app.app_context():
        before = _counts()
    data = dict(NEW_USER, **{"general-username": f"{local}@test.com"})
    response = client.post("/identities/accounts/new", data=data, headers=HTMX)
    assert refused_on_the_page(response, local, "is-invalid")
    with app.app_context():
        assert _counts() == before


@HOSTILE
def test_account_rename_page_refuses(app, login, world, local):
    client = login(user_id=world["superadmin"])
    account_id = world["user@test.com"]
    response = client.post(
        f"/identities/accounts/{account_id}/tab/general",
        data={"general-username": f"{local}@test.com", "general-role": "SimpleUsers",
              "general-is_active": "y"},
    )  # fmt: skip
    assert refused_on_the_page(response, local, "") and "Account updated" not in response.text
    with app.app_context():
        assert user(account_id).username == "user@test.com"
        assert user(account_id).mailbox.address == "user"
        assert db.session.scalar(select(func.count(MailboxOperation.id))) == 0


@HOSTILE
def test_alias_creation_page_refuses(app, login, world, local):
    client = login(user_id=world["superadmin"])
    with app.app_context():
        before = _counts()
    response = client.post(
        "/identities/aliases/new",
        data={"address": f"{local}@test.com", "recipients": "user@test.com", "enabled": "y"},
    )
    assert refused_on_the_page(response, local, "Invalid e-mail address")
    with app.app_context():
        assert _counts() == before


@HOSTILE
def test_wizard_refuses_the_admin_local_part(app, login, local):
    client = login()
    response = wizard(client, "new.com", headers=HTMX, create_admin="y", admin_local_part=local)
    assert (
        refused_on_the_page(response, local, "is-invalid") and "HX-Redirect" not in response.headers
    )
    if "\x00" not in local:
        assert 'id="options-admin_local_part"' in response.text
    with app.app_context():
        assert db.session.scalar(select(Domain.id).where(Domain.name == "new.com")) is None


@pytest.mark.parametrize("local", UNUSUAL_LOCAL_PARTS)
def test_pages_accept_unusual_valid_local_parts(app, login, world, local):
    client = login(user_id=world["superadmin"])
    data = dict(NEW_USER, **{"general-username": f"{local}@test.com"})
    assert client.post("/identities/accounts/new", data=data).status_code == 303
    response = client.post(
        "/identities/aliases/new",
        data={"address": f"{local}.alias@test.com", "recipients": "user@test.com"},
    )
    assert response.status_code == 303
    response = wizard(client, "new.com", create_admin="y", admin_local_part=local)
    assert response.status_code == 303
    with app.app_context():
        assert user_named(f"{local}@test.com").mailbox.address == local
        assert alias(f"{local}.alias@test.com") is not None
        assert user_named(f"{local}@new.com").mailbox.address == local


def user_named(username):
    return db.session.scalar(select(User).where(User.username == username))


# --- services -------------------------------------------------------------------------------
@HOSTILE
def test_services_refuse(app, world, local):
    address = f"{local}@test.com"
    with app.app_context():
        admin = user(world["superadmin"])
        before = _counts()
        attempts = [
            lambda: services.create_account(admin, username=address, password="Toto1234"),
            lambda: services.create_account(
                admin, username="boss", role="DomainAdmins", password="Toto1234", email=address
            ),
            lambda: services.update_account(admin, user(world["user@test.com"]), username=address),
            lambda: services.update_account(admin, user(world["admin@test.com"]), email=address),
            lambda: services.update_account(admin, user(world["user@test.com"]), aliases=[address]),
            lambda: services.create_alias(admin, address=address, recipients=["user@test.com"]),
            lambda: services.update_alias(admin, alias("alias@test.com"), address=address),
            lambda: domain_services.create_domain(
                admin, name="new.com", create_admin=True, admin_local_part=local
            ),
        ]
        if local in LOGIN_HOSTILE:  # an administrator's login name is not a local part
            attempts.append(
                lambda: services.create_account(
                    admin, username=local, role="DomainAdmins", password="Toto1234"
                )
            )
        for attempt in attempts:
            with pytest.raises(BadRequest):
                attempt()
            db.session.rollback()
        assert _counts() == before
        assert user(world["user@test.com"]).username == "user@test.com"


@pytest.mark.parametrize("local", ["a/b", "a\x00b", "a\tb", "a b", "x" * 65])
def test_external_recipients_still_refuse_paths_and_controls(app, world, local):
    with app.app_context():
        admin = user(world["superadmin"])
        with pytest.raises(BadRequest, match="Invalid e-mail address"):
            services.create_alias(admin, address="new@test.com", recipients=[f"{local}@ext.org"])


def test_external_recipients_may_be_odd(app, world):
    """Addresses we don't host never become a path: `first..last@` stays deliverable."""
    with app.app_context():
        admin = user(world["superadmin"])
        created = services.create_alias(
            admin, address="new@test.com", recipients=["first..last@ext.org", "-x@ext.org"]
        )
        assert sorted(r.address for r in created.recipients) == [
            "-x@ext.org", "first..last@ext.org",
        ]  # fmt: skip


# --- stored names from an upgraded database -----------------------------------------------
@pytest.mark.parametrize("local", ["..", "../b.com/u2"])
def test_directories_of_hostile_stored_names_are_never_moved_or_deleted(app, world, local):
    """Modoboa stored such names: `test.com/..` is the whole mail store (issue 11)."""
    from modoboa_flask import params
    from tests import factories

    with app.app_context():
        params.set("admin.handle_mailboxes", "true")
        account_id = factories.make_mailbox(world["test.com"], local)
        admin = user(world["superadmin"])
        attempts = [
            lambda: services.update_account(admin, user(account_id), username="fixed@test.com"),
            lambda: services.delete_account(admin, user(account_id), keep_mb_dir=False),
            lambda: domain_services.delete_domain(
                admin, db.session.get(Domain, world["test.com"]), keep_mailboxes=False
            ),
        ]
        for attempt in attempts:
            with pytest.raises(BadRequest, match="Can't (move|delete) the mail directory"):
                attempt()
            db.session.rollback()
        assert db.session.scalar(select(func.count(MailboxOperation.id))) == 0
        services.delete_account(admin, user(account_id), keep_mb_dir=True)  # rows only: fine
        db.session.commit()
        assert db.session.scalar(select(func.count(MailboxOperation.id))) == 0
