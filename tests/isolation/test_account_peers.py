"""No administrator takes over a peer (issue 11, point 2): actor x target x action matrix.

Every change of an account (edit, disable, delete, rename, password reset, role change) is
allowed only to a strictly higher role whose scope holds every domain of the account; peers
are seen (403) but not managed, accounts out of scope are not found (404). The services are
checked for every action; the account pages for edit, password reset and delete.
"""

import pytest
from sqlalchemy import select

from modoboa_flask.blueprints.identities import services
from modoboa_flask.exceptions import ServiceError
from modoboa_flask.extensions import db
from modoboa_flask.models import SIMPLEUSERS, Mailbox, User
from modoboa_flask.passwords import verify_password
from tests.isolation.world import OK, cases, populate, post_mail_tab, target_id

ACTIONS = ("update", "disable", "delete", "rename", "password", "role")


@pytest.fixture
def world(app):
    with app.app_context():
        return populate()


def _new_username(account: User) -> str:
    local, _, domain = account.username.partition("@")
    return f"re-{local}@{domain}" if account.role == SIMPLEUSERS else f"{account.username}-re"


def _run(action: str, actor: User, account: User) -> None:
    if action == "update":
        services.update_account(actor, account, first_name="Changed")
    elif action == "disable":
        services.update_account(actor, account, is_active=False)
    elif action == "delete":
        services.delete_account(actor, account)
    elif action == "rename":
        services.update_account(actor, account, username=_new_username(account))
    elif action == "password":
        services.change_password(actor, account, "Secret1234")
    else:
        role = SIMPLEUSERS if account.role == "DomainAdmins" else "DomainAdmins"
        services.update_account(actor, account, role=role)


def _expected(action: str, actor: str, target: str, base) -> object:
    """The outcome of *action*: the pair's, except where a rule of its own answers first."""
    if target in ("self", actor):
        if action == "password":
            return OK  # the self-service path (profile page): no admin scope involved
        if action == "delete" and actor != "u":
            return 400  # "You can't delete your own account"
        if action in ("disable", "role") and actor == "admin":
            return 400  # "You can't disable your own account" / "change your own role"
    if action == "role" and actor == "a1" and base == OK:
        return 400  # domain admins give only SimpleUsers, which the simple user already is
    return base


@pytest.mark.parametrize("actor, target, base", cases())
def test_services(app, world, actor, target, base):
    with app.app_context():
        outcomes, expected = {}, {}
        for action in ACTIONS:
            acting = db.session.get(User, world[actor])
            account = db.session.get(User, target_id(world, actor, target))
            try:
                _run(action, acting, account)
                db.session.flush()
                outcomes[action] = OK
            except ServiceError as exc:
                outcomes[action] = exc.status
            db.session.rollback()  # services never commit: each action starts afresh
            expected[action] = _expected(action, actor, target, base)
        assert outcomes == expected


def test_refusal_names_the_account(app, world):
    with app.app_context():
        reseller = db.session.get(User, world["r1"])
        peer = db.session.get(User, world["r2"])
        with pytest.raises(ServiceError, match="You may not manage the account r2@a.test"):
            services.change_password(reseller, peer, "Secret1234")


def _general(account_id, **extra):
    account = db.session.get(User, account_id)
    data = {"general-username": account.username, "general-role": account.role}
    return {**data, "general-is_active": "y", **extra}


@pytest.mark.parametrize("actor, target, base", cases())
def test_account_pages(app, login, world, actor, target, base):
    account_id = target_id(world, actor, target)
    client = login(user_id=world[actor])
    url = f"/identities/accounts/{account_id}"
    with app.app_context():
        data = _general(account_id, **{"general-first_name": "Changed"})
    edit = client.post(f"{url}/tab/general", data=data)
    password = client.post(
        f"{url}/tab/general",
        data={**data, "general-password": "Secret1234", "general-password2": "Secret1234"},
    )
    with app.app_context():
        account = db.session.get(User, account_id)
        changed = account.first_name == "Changed"
        reset = verify_password("Secret1234", account.password)
    # A super admin resetting its own password ends its sessions: log in again.
    delete = login(user_id=world[actor]).post(f"{url}/delete", data={"keepdir": "y"})
    with app.app_context():
        gone = db.session.get(User, account_id) is None
    myself = target in ("self", actor)
    if base == OK:
        assert edit.status_code == 200 and "Account updated" in edit.text and changed
        assert password.status_code == 200 and reset
        assert (delete.status_code, gone) == ((400, False) if myself else (303, True))
    else:
        statuses = [edit.status_code, password.status_code, delete.status_code]
        if myself and actor != "u":
            assert statuses == [base, base, 400]  # "You can't delete your own account"
        else:
            assert statuses == [base] * 3
        assert not gone and not changed and not reset


@pytest.mark.parametrize("actor, target", [("a1", "a2"), ("r1", "r2"), ("r1", "ax")])
def test_a_peer_page_is_read_only(app, login, world, actor, target):
    page = login(user_id=world[actor]).get(f"/identities/accounts/{world[target]}")
    assert page.status_code == 200
    assert 'id="read-only-account"' in page.text and "<fieldset disabled>" in page.text
    assert "Delete account" not in page.text and ">Save</button>" not in page.text


def test_a_managed_page_is_editable(app, login, world):
    page = login(user_id=world["r1"]).get(f"/identities/accounts/{world['a2']}")
    assert 'id="read-only-account"' not in page.text and "Delete account" in page.text


def test_peer_mailbox_is_not_renamed_through_the_mail_tab(app, login, world):
    response = post_mail_tab(login(user_id=world["a1"]), world["a2"], email="taken@a.test")
    assert response.status_code == 403
    with app.app_context():
        mailbox = db.session.scalar(select(Mailbox).where(Mailbox.user_id == world["a2"]))
        assert mailbox.full_address == "a2@a.test"
