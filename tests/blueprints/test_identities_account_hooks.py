"""Accounts: rename, delete, sessions, events, audit, scope, Permissions tab, plugin tabs."""

import pytest
from sqlalchemy import func, select

from modoboa_flask import signals
from modoboa_flask.blueprints.identities import services
from modoboa_flask.exceptions import NotFound
from modoboa_flask.extensions import db
from modoboa_flask.models import (
    AliasRecipient,
    Domain,
    Log,
    Mailbox,
    MailboxOperation,
    SenderAddress,
    User,
    UserSession,
)
from modoboa_flask.sessions import open_session
from tests.blueprints.identities_world import alias, populate, user


@pytest.fixture
def world(app):
    with app.app_context():
        return populate()


def test_rename_updates_recipients_and_sender_rows(app, world):
    with app.app_context():
        admin = user(world["superadmin"])
        other = user(world["user@test2.com"]).mailbox
        services.update_account(
            admin, user(world["user@test2.com"]), sender_addresses=["user@test.com"]
        )
        services.create_alias(admin, address="tag@test.com", recipients=["user+spam@test.com"])
        services.update_account(admin, user(world["user@test.com"]), username="renamed@test.com")
        db.session.commit()
        assert [r.address for r in alias("alias@test.com").recipients] == ["renamed@test.com"]
        assert [r.address for r in alias("tag@test.com").recipients] == ["renamed+spam@test.com"]
        assert [s.address for s in other.sender_addresses] == ["renamed@test.com"]


def test_delete_cleans_everything_and_passes_ownership(app, world):
    with app.app_context():
        admin = user(world["superadmin"])
        reseller = user(world["reseller"])
        owned = services.create_account(
            reseller, username="owned", role="DomainAdmins", password="Toto12345"
        )
        db.session.get(Domain, world["res.com"]).owner_id = reseller.id
        target = user(world["user@test.com"])
        services.update_account(admin, target, sender_addresses=["x@ext.org"])
        services.create_alias(
            admin, address="list@test.com", recipients=["user@test.com", "admin@test.com"]
        )
        key = open_session(target)
        db.session.commit()
        mailbox_id = target.mailbox.id
        services.delete_account(admin, target, keep_mb_dir=True)
        services.delete_account(admin, reseller)
        db.session.commit()
        assert alias("alias@test.com") is None  # its only recipient went
        assert [r.address for r in alias("list@test.com").recipients] == ["admin@test.com"]
        assert not db.session.scalars(select(SenderAddress)).all()
        assert db.session.scalar(select(Mailbox).where(Mailbox.id == mailbox_id)) is None
        assert (
            db.session.scalar(
                select(AliasRecipient).where(AliasRecipient.r_mailbox_id == mailbox_id)
            )
            is None
        )
        assert not db.session.scalars(select(MailboxOperation)).all()  # keep dir
        assert (
            db.session.scalar(select(UserSession).where(UserSession.user_id == target.id)) is None
        )
        assert key
        assert db.session.get(User, owned.id).owner_id == world["superadmin"]
        assert db.session.get(Domain, world["res.com"]).owner_id == world["superadmin"]


def test_disable_ends_sessions(app, world):
    with app.app_context():
        target = user(world["user@test.com"])
        open_session(target)
        db.session.commit()
        services.update_account(user(world["superadmin"]), target, is_active=False)
        db.session.commit()
        count = (
            select(func.count()).select_from(UserSession).where(UserSession.user_id == target.id)
        )
        assert db.session.scalar(count) == 0


def test_events_and_audit(app, world):
    events = []

    def record(name):
        return lambda sender, **kw: events.append((name, sorted(kw)))

    hooks = {
        "AccountCreated": signals.account_created,
        "MailboxCreated": signals.mailbox_created,
        "AccountModified": signals.account_modified,
        "MailboxModified": signals.mailbox_modified,
        "AccountDeleted": signals.account_deleted,
        "MailboxDeleted": signals.mailbox_deleted,
        "MailboxAliasCreated": signals.mailbox_alias_created,
        "MailboxAliasDeleted": signals.mailbox_alias_deleted,
    }
    receivers = {name: record(name) for name in hooks}
    for name, hook in hooks.items():
        hook.connect(receivers[name], sender=app)
    try:
        with app.app_context():
            admin = user(world["superadmin"])
            account = services.create_account(
                admin, username="ev@test.com", password="Toto12345", aliases=["evalias@test.com"]
            )
            services.update_account(admin, account, quota=20, password="Other1234")
            services.delete_account(admin, account, keep_mb_dir=False)
            db.session.commit()
            logs = db.session.scalars(select(Log).order_by(Log.id)).all()
    finally:
        for name, hook in hooks.items():
            hook.disconnect(receivers[name], sender=app)
    assert ("AccountCreated", ["account", "creator"]) in events
    assert ("MailboxCreated", ["mailbox", "user"]) in events
    assert ("MailboxAliasCreated", ["mailbox_alias", "user"]) in events
    assert ("AccountModified", ["newaccount", "oldaccount"]) in events
    assert ("MailboxModified", ["mailbox", "old_full_address"]) in events
    assert ("AccountDeleted", ["account", "byuser", "keep_mb_dir"]) in events
    assert ("MailboxDeleted", ["mailbox"]) in events
    assert ("MailboxAliasDeleted", ["mailbox_alias"]) in events
    modified = [log for log in logs if log.message == "Account 'ev@test.com' modified"]
    assert modified and modified[0].changes == {
        "quota": [10, 20],
        "use_domain_quota": [True, False],
    }
    assert any(log.message == "Password of account 'ev@test.com' changed" for log in logs)
    for log in logs:
        assert "Other1234" not in str(log.changes) and "password" not in (log.changes or {})


def test_out_of_scope_accounts_answer_404(app, login, world):
    client = login(user_id=world["admin@test.com"])
    foreign = world["user@test2.com"]
    assert client.get(f"/identities/accounts/{foreign}").status_code == 404
    assert (
        client.post(
            f"/identities/accounts/{foreign}/tab/general", data={"general-username": "x@test2.com"}
        ).status_code
        == 404
    )
    assert client.post(f"/identities/accounts/{foreign}/delete").status_code == 404
    assert client.get(f"/identities/accounts/{world['superadmin']}").status_code == 404
    assert client.get("/identities/accounts/999999").status_code == 404
    with app.app_context():
        with pytest.raises(NotFound):
            services.delete_account(user(world["admin@test.com"]), user(foreign))


def test_permissions_tab_for_super_admins_only(app, login, world):
    client = login(user_id=world["superadmin"])
    page = client.get(f"/identities/accounts/{world['admin@test.com']}")
    assert 'id="tab-permissions"' in page.text
    response = client.post(
        f"/identities/accounts/{world['admin@test.com']}/tab/permissions",
        data={"permissions-domains": "test.com\ntest2.com"},
    )
    assert "Account updated" in response.text
    with app.app_context():
        assert services.administered_domain_names(user(world["admin@test.com"])) == [
            "test.com",
            "test2.com",
        ]
    reseller = login(user_id=world["reseller"])
    page = reseller.get(f"/identities/accounts/{world['user@res.com']}")
    assert page.status_code == 200 and 'id="tab-permissions"' not in page.text
    assert (
        reseller.post(
            f"/identities/accounts/{world['user@res.com']}/tab/permissions",
            data={"permissions-domains": "res.com"},
        ).status_code
        == 404
    )


def test_limits_are_asked_before_creating(app, world):
    from modoboa_flask.exceptions import LimitReached

    asked = []

    def limit(sender, context, object_type, count, **kw):
        asked.append((type(context).__name__, object_type))
        if object_type == "mailbox_aliases":
            raise LimitReached("Mailbox aliases: limit reached")

    with app.app_context(), signals.can_create_object.connected_to(limit, sender=app):
        admin = user(world["superadmin"])
        with pytest.raises(LimitReached):
            services.create_account(
                admin, username="lim@test.com", password="Toto12345", aliases=["limalias@test.com"]
            )
        db.session.rollback()
        assert db.session.scalar(select(User).where(User.username == "lim@test.com")) is None
    assert asked == [("User", "mailboxes"), ("Domain", "mailboxes"), ("User", "mailbox_aliases")]


def test_plugin_tabs_and_actions(app, login, world):
    from flask_wtf import FlaskForm
    from wtforms import StringField

    from modoboa_flask.forms import FormTab

    class ExtraForm(FlaskForm):
        note = StringField("Note")

    stored = []
    tab = FormTab(
        "resources",
        "Resources",
        ExtraForm,
        "identities/_tab_general.html",
        50,
        None,
        lambda user, account, form: stored.append(form.note.data),
    )

    def tabs(sender, user, account, **kw):
        return [tab]

    def check(sender, account, form, **kw):
        return [account.role != "SimpleUsers"]

    def actions(sender, account, **kw):
        return [{"name": "x", "url": "/plugin/x", "title": "Plugin action"}]

    client = login(user_id=world["superadmin"])
    with (
        signals.extra_account_form.connected_to(tabs, sender=app),
        signals.check_extra_account_form.connected_to(check, sender=app),
        signals.extra_account_actions.connected_to(actions, sender=app),
    ):
        admin_page = client.get(f"/identities/accounts/{world['admin@test.com']}").text
        user_page = client.get(f"/identities/accounts/{world['user@test.com']}").text
        response = client.post(
            f"/identities/accounts/{world['admin@test.com']}/tab/resources",
            data={"resources-note": "hello"},
        )
        refused = client.post(
            f"/identities/accounts/{world['user@test.com']}/tab/resources",
            data={"resources-note": "no"},
        )
    assert 'id="tab-resources"' in admin_page and 'id="tab-resources"' not in user_page
    assert "Plugin action" in admin_page
    assert response.status_code == 200 and stored == ["hello"]
    assert refused.status_code == 404
