"""Accounts and mailboxes: Modoboa's test_account.py behaviours, quota rules, rename, delete."""

import pytest
from sqlalchemy import select

from modoboa_flask import params, signals
from modoboa_flask.blueprints.identities import services
from modoboa_flask.exceptions import BadRequest, Conflict, PermissionDenied
from modoboa_flask.extensions import db
from modoboa_flask.models import (
    DomainAdmin,
    MailboxOperation,
    Quota,
    User,
)
from modoboa_flask.passwords import verify_password
from tests import factories
from tests.blueprints.identities_world import NEW_USER, alias, populate, self_alias, user


@pytest.fixture
def world(app):
    with app.app_context():
        return populate()


def test_crud_through_the_ui(app, login, world):
    client = login(user_id=world["superadmin"])
    response = client.post("/identities/accounts/new", data=NEW_USER)
    assert response.status_code == 303
    with app.app_context():
        account = db.session.scalar(select(User).where(User.username == "tester@test.com"))
        assert account.is_active and account.email == "tester@test.com"
        assert verify_password("Toto12345", account.password)
        assert account.mailbox.quota == 10 and account.mailbox.use_domain_quota
        assert db.session.get(Quota, "tester@test.com") is not None
        assert self_alias("tester@test.com").recipients[0].r_mailbox_id == account.mailbox.id
        assert account.owner_id == world["superadmin"]
        account_id = account.id
        params.set("admin.handle_mailboxes", "true")
        db.session.commit()
    response = client.post(
        f"/identities/accounts/{account_id}/tab/general",
        data={
            "general-username": "Tester2@Test.com",
            "general-role": "SimpleUsers",
            "general-is_active": "y",
        },
    )
    assert response.status_code == 200 and "Account updated" in response.text
    with app.app_context():
        account = db.session.get(User, account_id)
        assert account.username == "tester2@test.com" == account.mailbox.full_address
        assert account.email == "tester2@test.com"
        assert db.session.get(Quota, "tester2@test.com") and not db.session.get(
            Quota, "tester@test.com"
        )
        assert self_alias("tester2@test.com") and not self_alias("tester@test.com")
        op = db.session.scalar(select(MailboxOperation).where(MailboxOperation.type == "rename"))
        assert op.argument.endswith("test.com/tester") and op.mailbox_id == account.mailbox.id
    response = client.post(f"/identities/accounts/{account_id}/delete", data={"keepdir": ""})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(User, account_id) is None
        assert self_alias("tester2@test.com") is None
        assert db.session.get(Quota, "tester2@test.com") is None
        assert db.session.scalar(select(MailboxOperation).where(MailboxOperation.type == "delete"))


def test_form_errors_render_in_place(login, world):
    client = login(user_id=world["superadmin"])
    data = dict(NEW_USER, **{"general-password2": "other", "general-username": "user@test.com"})
    response = client.post("/identities/accounts/new", data=data)
    assert response.status_code == 200 and "Passwords mismatch" in response.text
    data["general-password2"] = data["general-password"]
    response = client.post("/identities/accounts/new", data=data)
    assert response.status_code == 200
    assert "An account with this username already exists" in response.text
    weak = dict(NEW_USER, **{"general-password": "tutu", "general-password2": "tutu"})
    assert "at least" in client.post("/identities/accounts/new", data=weak).text


def test_utf8_username_and_sender_addresses(app, world):
    with app.app_context():
        admin = user(world["superadmin"])
        account = services.create_account(
            admin,
            username="Téster@test.com",
            password="Toto12345",
            sender_addresses=["a@ext.org", "b@ext.org"],
        )
        db.session.commit()
        assert account.username == "téster@test.com"
        assert len(account.mailbox.sender_addresses) == 2
        services.update_account(admin, account, sender_addresses=["b@ext.org"])
        db.session.commit()
        assert [s.address for s in account.mailbox.sender_addresses] == ["b@ext.org"]


def test_conflicts(app, world):
    with app.app_context():
        admin = user(world["superadmin"])
        with pytest.raises(Conflict):
            services.create_account(admin, username="USER@test.com", password="Toto12345")
        db.session.rollback()
        with pytest.raises(Conflict):
            services.update_account(admin, user(world["user@test2.com"]), username="user@test.com")
        db.session.rollback()


def test_null_quota_as_superadmin_and_domain_admin(app, world):
    with app.app_context():
        with pytest.raises(BadRequest, match="the domain's quota is limited to 100M"):
            services.update_account(
                user(world["admin@test.com"]), user(world["user@test.com"]), quota=0
            )
        db.session.rollback()
        services.update_account(user(world["superadmin"]), user(world["user@test.com"]), quota=0)
        db.session.commit()
        assert user(world["user@test.com"]).mailbox.quota == 0
        services.update_account(
            user(world["admin@test2.com"]), user(world["user@test2.com"]), quota=0
        )
        db.session.commit()


def test_quota_rules_name_the_numbers(app, world):
    with app.app_context():
        domadmin = user(world["admin@test.com"])
        target = user(world["user@test.com"])
        with pytest.raises(BadRequest, match=r"allowed domain's limit \(100M\)"):
            services.update_account(domadmin, target, quota=101)
        db.session.rollback()
        # 100 MB pool, admin@ holds 10: 90 left for user@.
        with pytest.raises(BadRequest, match=r"what is left of the domain pool \(90M of 100M\)"):
            services.update_account(domadmin, target, quota=95)
        db.session.rollback()
        services.update_account(domadmin, target, quota=90)
        db.session.commit()
        with pytest.raises(BadRequest, match="Must be a positive integer"):
            services.update_account(domadmin, target, quota=-1)
        db.session.rollback()
        # The pool binds super admins too: one rule whoever edits (quota_pool).
        with pytest.raises(BadRequest, match=r"what is left of the domain pool \(90M of 100M\)"):
            services.update_account(user(world["superadmin"]), target, quota=91)
        db.session.rollback()
        assert target.mailbox.quota == 90 and not target.mailbox.use_domain_quota
        services.update_account(user(world["superadmin"]), target, quota=None)
        db.session.commit()
        assert target.mailbox.quota == 10 and target.mailbox.use_domain_quota


def test_master_user_only_for_super_admins(app, world):
    with app.app_context():
        admin = user(world["superadmin"])
        master = services.create_account(
            admin, username="master", role="SuperAdmins", password="Toto12345", master_user=True
        )
        assert master.master_user and master.is_superuser
        with pytest.raises(BadRequest, match="Only super administrators are allowed"):
            services.create_account(
                admin, username="da", role="DomainAdmins", password="Toto12345", master_user=True
            )
        db.session.rollback()
        with pytest.raises(BadRequest, match="Only super administrators are allowed"):
            services.update_account(admin, user(world["user@test.com"]), master_user=True)
        db.session.rollback()


def test_role_changes(app, world):
    with app.app_context():
        admin = user(world["superadmin"])
        target = user(world["user@test.com"])
        seen = []
        with signals.role_changed.connected_to(lambda s, **kw: seen.append(kw), sender=app):
            services.update_account(admin, target, username="boss", role="SuperAdmins")
        assert target.is_superuser and seen == [{"account": target, "role": "SuperAdmins"}]
        services.update_account(admin, target, role="DomainAdmins", domains=["test.com"])
        assert not target.is_superuser and services.administered_domain_names(target) == [
            "test.com"
        ]
        services.update_account(admin, target, role="SimpleUsers", username="user@test.com")
        db.session.commit()
        assert not db.session.scalars(
            select(DomainAdmin).where(DomainAdmin.user_id == target.id)
        ).all()


def test_self_edit_goes_through_the_profile_not_the_admin_pages(app, login, world):
    client = login(user_id=world["admin@test.com"])
    page = client.get(f"/identities/accounts/{world['admin@test.com']}")
    assert page.status_code == 200 and 'id="read-only-account"' in page.text
    assert "/user/profile" in page.text and "Delete account" not in page.text
    data = {
        "general-username": "admin@test.com",
        "general-role": "SuperAdmins",
        "general-is_active": "",
    }
    response = client.post(f"/identities/accounts/{world['admin@test.com']}/tab/general", data=data)
    assert response.status_code == 403
    response = client.post(f"/identities/accounts/{world['admin@test.com']}/delete")
    assert response.status_code == 400
    assert "You can&#39;t delete your own account" in response.text
    with app.app_context():
        me = user(world["admin@test.com"])
        assert me.role == "DomainAdmins" and me.is_active
        assert services.administered_domain_names(me) == ["test.com"]


def test_superadmin_edits_itself_but_cannot_disable_itself(app, login, world):
    client = login(user_id=world["superadmin"])
    data = {"general-username": "admin", "general-role": "SuperAdmins", "general-is_active": "y"}
    url = f"/identities/accounts/{world['superadmin']}/tab/general"
    assert "Account updated" in client.post(url, data={**data, "general-first_name": "Root"}).text
    response = client.post(url, data={**data, "general-is_active": ""})
    assert "You can&#39;t disable your own account" in response.text
    with app.app_context():
        assert (
            user(world["superadmin"]).is_active and user(world["superadmin"]).first_name == "Root"
        )


def test_delete_default_superadmin(app, world):
    with app.app_context():
        other = services.create_account(
            user(world["superadmin"]), username="root2", role="SuperAdmins", password="Toto12345"
        )
        db.session.commit()
        services.delete_account(other, user(world["superadmin"]))
        db.session.commit()
        services.update_account(other, user(world["user@test.com"]), first_name="Still")
        db.session.commit()
        # What the deleted admin owned passes to the actor (it had no owner).
        assert user(world["reseller"]).owner_id == other.id


def test_two_domain_admins_share_their_domain(app, world):
    with app.app_context():
        second = factories.make_mailbox(world["test.com"], "admin2", role="DomainAdmins")
        factories.grant_domain(second, world["test.com"])
        created = services.create_account(
            user(world["admin@test.com"]), username="new@test.com", password="Toto12345"
        )
        db.session.commit()
        services.update_account(user(second), created, first_name="Peer")
        db.session.commit()


def test_mail_tab_aliases_and_extra_fields(app, login, world):
    saved = []

    def extra_fields(sender, form_name, instance, **kw):
        from wtforms import StringField

        return [("nickname", StringField("Nickname"))] if form_name == "mailform" else []

    def save_extra(sender, **kw):
        saved.append((kw["form_name"], kw["instance"].address, kw["values"]))

    client = login(user_id=world["superadmin"])
    url = f"/identities/accounts/{world['user@test.com']}/tab/mail"
    data = {
        "mail-aliases": "toto@test.com\nTiti@test.com",
        "mail-use_domain_quota": "y",
        "mail-nickname": "nick",
    }
    with (
        signals.extra_form_fields.connected_to(extra_fields, sender=app),
        signals.save_extra_form_fields.connected_to(save_extra, sender=app),
    ):
        page = client.get(f"/identities/accounts/{world['user@test.com']}")
        assert 'name="mail-nickname"' in page.text
        response = client.post(url, data=data)
    assert response.status_code == 200 and "Account updated" in response.text
    assert saved == [("mailform", "user", {"nickname": "nick"})]
    with app.app_context():
        mailbox = user(world["user@test.com"]).mailbox
        # alias@test.com was not posted: the mailbox left it, and it had no other recipient.
        assert services.mailbox_alias_addresses(mailbox) == ["titi@test.com", "toto@test.com"]
        assert alias("alias@test.com") is None
        assert alias("titi@test.com").recipients[0].r_mailbox_id == mailbox.id
    data["mail-aliases"] = "toto@test.com\nalias@test.com"
    client.post(url, data=data)
    with app.app_context():
        assert alias("titi@test.com") is None  # left without recipients: removed
        assert alias("toto@test.com") is not None and alias("alias@test.com") is not None


def test_domain_admin_cannot_use_foreign_domains(app, world):
    with app.app_context():
        domadmin = user(world["admin@test.com"])
        with pytest.raises(PermissionDenied, match="You don't have access to this domain"):
            services.create_account(domadmin, username="x@test2.com", password="Toto12345")
        db.session.rollback()
        target = user(world["user@test.com"])
        for changes in (
            {"aliases": ["a@test2.com"]},
            {"sender_addresses": ["s@test2.com"]},
            {"username": "moved@test2.com"},
        ):
            with pytest.raises(PermissionDenied, match="You don't have access to this domain"):
                services.update_account(domadmin, target, **changes)
            db.session.rollback()
        with pytest.raises(BadRequest, match="Select a valid choice"):
            services.create_account(
                domadmin, username="y@test.com", role="DomainAdmins", password="Toto12345"
            )
        db.session.rollback()
        # External sender addresses are fine.
        services.update_account(domadmin, target, sender_addresses=["me@gmail.com"])


def test_mail_tab_shows_the_address_field_once(app, login, world):
    client = login(user_id=world["superadmin"])
    page = client.get(f"/identities/accounts/{world['admin@test.com']}").get_data(as_text=True)
    # The tab renders the e-mail field itself; the field loop must not repeat it.
    assert page.count('name="mail-email"') == 1
