"""Deleting a domain: confirmation, keep-directories choice, one transaction, events."""

from sqlalchemy import func, select

from modoboa_flask import params, signals
from modoboa_flask.extensions import db
from modoboa_flask.models import (
    Alias,
    AliasRecipient,
    Domain,
    DomainAdmin,
    DomainAlias,
    Log,
    Mailbox,
    MailboxOperation,
    Quota,
    SenderAddress,
    User,
)
from tests.factories import grant_domain, make_domain, make_mailbox, make_user


def build(app):
    with app.app_context():
        gone = make_domain("gone.com")
        kept = make_domain("kept.com")
        user_id = make_mailbox(gone, "user")
        make_mailbox(kept, "stay")
        mailbox = db.session.scalar(select(Mailbox).where(Mailbox.user_id == user_id))
        db.session.add(SenderAddress(address="s@gone.com", mailbox_id=mailbox.id))
        public = Alias(address="info@gone.com", domain_id=gone)
        public.recipients.append(AliasRecipient(address="user@gone.com", r_mailbox_id=mailbox.id))
        outside = Alias(address="fwd@kept.com", domain_id=kept)
        outside.recipients.append(AliasRecipient(address="user@gone.com", r_mailbox_id=mailbox.id))
        outside.recipients.append(AliasRecipient(address="stay@kept.com"))
        internal = Alias(address="@gone.net", domain_id=gone, internal=True)
        internal.recipients.append(AliasRecipient(address="@gone.com"))
        db.session.add_all(
            [public, outside, internal, DomainAlias(name="gone.net", target_id=gone)]
        )
        db.session.commit()
        grant_domain(make_user("DomainAdmins", username="da"), gone)
        return gone, user_id


def test_confirmation_page_then_delete(app, login):
    client = login()
    gone, user_id = build(app)
    page = client.get(f"/domains/{gone}/delete").get_data(as_text=True)
    assert "Delete gone.com?" in page and 'name="keep_mailboxes"' in page
    response = client.post(
        f"/domains/{gone}/delete", data={"confirm": "yes", "keep_mailboxes": "y"}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/domains/"
    with app.app_context():
        assert db.session.get(Domain, gone) is None
        assert db.session.scalar(select(func.count(DomainAlias.id))) == 0
        assert set(db.session.scalars(select(Alias.address))) == {"stay@kept.com", "fwd@kept.com"}
        outside = db.session.scalar(select(Alias).where(Alias.address == "fwd@kept.com"))
        assert [r.address for r in outside.recipients] == ["stay@kept.com"]
        assert list(db.session.scalars(select(Quota.username))) == ["stay@kept.com"]
        assert db.session.scalar(select(func.count(Mailbox.id))) == 1
        assert db.session.scalar(select(func.count(SenderAddress.id))) == 0
        assert db.session.scalar(select(func.count(DomainAdmin.id))) == 0
        # auto_account_removal is off: the account stays, without its mailbox.
        assert db.session.get(User, user_id).mailbox is None
        assert db.session.scalar(select(MailboxOperation.id)) is None  # directories kept
        log = db.session.scalar(select(Log).where(Log.message == "Domain 'gone.com' deleted"))
        assert log.level == "CRITICAL"


def test_post_without_confirmation_deletes_nothing(app, login):
    client = login()
    gone, _ = build(app)
    assert client.post(f"/domains/{gone}/delete", data={"keep_mailboxes": "y"}).status_code == 200
    with app.app_context():
        assert db.session.get(Domain, gone) is not None


def test_htmx_delete_redirects_with_header(app, login):
    client = login()
    gone, _ = build(app)
    response = client.post(
        f"/domains/{gone}/delete", data={"confirm": "yes"}, headers={"HX-Request": "true"}
    )
    assert response.headers["HX-Redirect"] == "/domains/"


def test_delete_schedules_directory_removal_and_removes_accounts(app, login):
    client = login()
    gone, user_id = build(app)
    with app.app_context():
        params.set("admin.handle_mailboxes", True)
        params.set("admin.auto_account_removal", True)
        db.session.commit()
    client.post(f"/domains/{gone}/delete", data={"confirm": "yes"})  # keep unticked
    with app.app_context():
        ops = db.session.execute(select(MailboxOperation.type, MailboxOperation.argument)).all()
        assert ops == [("delete", "/srv/vmail/gone.com/user")]
        assert db.session.get(User, user_id) is None
        assert db.session.scalar(select(User.id).where(User.username == "da")) is not None


def test_events_with_documented_arguments(app, login):
    client = login()
    gone, _ = build(app)
    seen = []

    def record(name):
        def receiver(sender, **kwargs):
            value = next(iter(kwargs.values()))
            items = value if isinstance(value, list) else [value]
            seen.append((name, sorted(getattr(i, "name", None) or i.address for i in items)))

        return receiver

    receivers = {
        signals.domain_deleted: record("DomainDeleted"),
        signals.domain_alias_deleted: record("DomainAliasDeleted"),
        signals.mailbox_alias_deleted: record("MailboxAliasDeleted"),
        signals.mailbox_deleted: record("MailboxDeleted"),
    }
    for signal, receiver in receivers.items():
        signal.connect(receiver, sender=app)
    try:
        client.post(f"/domains/{gone}/delete", data={"confirm": "yes", "keep_mailboxes": "y"})
    finally:
        for signal, receiver in receivers.items():
            signal.disconnect(receiver, sender=app)
    assert sorted(seen) == [
        ("DomainAliasDeleted", ["gone.net"]),
        ("DomainDeleted", ["gone.com"]),
        ("MailboxAliasDeleted", ["info@gone.com"]),
        ("MailboxDeleted", ["user"]),
    ]


def test_you_cant_delete_your_own_domain(app, login):
    with app.app_context():
        gone = make_domain("mine.com")
        me = make_mailbox(gone, "me", role="Resellers")
        db.session.get(Domain, gone).owner_id = me
        db.session.commit()
    client = login(user_id=me)
    response = client.post(
        f"/domains/{gone}/delete", data={"confirm": "yes", "keep_mailboxes": "y"}
    )
    assert response.status_code == 403
    assert "You can&#39;t delete your own domain." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Domain, gone) is not None
