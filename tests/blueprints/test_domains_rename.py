"""Renaming a domain renames every dependent row, in one transaction."""

from sqlalchemy import select

from modoboa_flask import params
from modoboa_flask.accounts import first_superuser
from modoboa_flask.blueprints.domains import services
from modoboa_flask.exceptions import Conflict
from modoboa_flask.extensions import db
from modoboa_flask.models import (
    Alias,
    AliasRecipient,
    Domain,
    DomainAlias,
    Mailbox,
    MailboxOperation,
    Quota,
    SenderAddress,
    User,
)
from tests.factories import make_domain, make_mailbox


def build(app):
    """old.com with mailboxes, aliases, a catch-all, a domain alias, and outside references."""
    with app.app_context():
        old = make_domain("old.com")
        other = make_domain("other.com")
        user_id = make_mailbox(old, "user")
        make_mailbox(old, "boss")
        make_mailbox(other, "x")
        user_mb = db.session.scalar(select(Mailbox).where(Mailbox.user_id == user_id))
        db.session.get(Quota, "user@old.com").bytes = 1234
        db.session.add(Quota(username="ghost@new.com", bytes=5))  # stale row under the new name
        db.session.add(SenderAddress(address="sales@old.com", mailbox_id=user_mb.id))
        catchall = Alias(address="@old.com", domain_id=old)
        catchall.recipients.append(AliasRecipient(address="user@old.com", r_mailbox_id=user_mb.id))
        public = Alias(address="info@old.com", domain_id=old)
        public.recipients.append(AliasRecipient(address="boss@old.com"))
        public.recipients.append(AliasRecipient(address="ext@gold.com"))  # not "@old.com"
        elsewhere = Alias(address="fwd@other.com", domain_id=other)
        elsewhere.recipients.append(AliasRecipient(address="user@old.com", r_mailbox_id=user_mb.id))
        db.session.add_all([catchall, public, elsewhere])
        db.session.commit()
        admin = first_superuser()
        services.create_domain_alias(admin, db.session.get(Domain, old), "old.net")
        db.session.commit()
        return old


def rename(app, domain_id, new="new.com"):
    with app.app_context():
        services.update_domain(first_superuser(), db.session.get(Domain, domain_id), name=new)
        db.session.commit()


def test_rename_cascades_to_every_address(app):
    domain_id = build(app)
    rename(app, domain_id)
    with app.app_context():
        assert db.session.get(Domain, domain_id).name == "new.com"
        aliases = set(db.session.scalars(select(Alias.address)))
        assert aliases == {
            "user@new.com", "boss@new.com", "x@other.com", "@new.com", "info@new.com",
            "fwd@other.com", "@old.net",
        }  # fmt: skip
        recipients = set(db.session.scalars(select(AliasRecipient.address)))
        assert recipients == {
            "user@new.com", "boss@new.com", "x@other.com", "ext@gold.com", "@new.com",
        }  # fmt: skip
        internal = db.session.scalar(select(Alias).where(Alias.address == "@old.net"))
        assert [r.address for r in internal.recipients] == ["@new.com"]
        users = set(db.session.execute(select(User.username, User.email)).all())
        assert {("user@new.com", "user@new.com"), ("boss@new.com", "boss@new.com")} <= users
        assert not any(u.endswith("@old.com") or e.endswith("@old.com") for u, e in users)
        assert list(db.session.scalars(select(SenderAddress.address))) == ["sales@new.com"]
        quota = {q.username: q.bytes for q in db.session.scalars(select(Quota))}
        assert quota == {"user@new.com": 1234, "boss@new.com": 0, "x@other.com": 0}
        assert db.session.scalar(select(DomainAlias.name)) == "old.net"


def test_rename_schedules_mailbox_moves_when_handled(app):
    domain_id = build(app)
    with app.app_context():
        params.set("admin.handle_mailboxes", True)
        db.session.commit()
    rename(app, domain_id)
    with app.app_context():
        ops = db.session.execute(
            select(MailboxOperation.type, MailboxOperation.argument).order_by(
                MailboxOperation.argument
            )
        ).all()
        assert ops == [("rename", "/srv/vmail/old.com/boss"), ("rename", "/srv/vmail/old.com/user")]


def test_no_operation_when_mailboxes_are_not_handled(app):
    rename(app, build(app))
    with app.app_context():
        assert db.session.scalar(select(MailboxOperation.id)) is None


def test_rename_refused_when_an_account_already_uses_the_name(app):
    domain_id = build(app)
    with app.app_context():
        db.session.add(User(username="user@new.com"))
        db.session.commit()
        actor = first_superuser()
        try:
            services.update_domain(actor, db.session.get(Domain, domain_id), name="new.com")
        except Conflict as exc:
            assert "An account user@new.com already exists." == exc.message
            db.session.rollback()
        else:  # pragma: no cover
            raise AssertionError("rename should be refused")
        assert db.session.get(Domain, domain_id).name == "old.com"
        assert db.session.get(Quota, "user@old.com") is not None


def test_renaming_a_domain_alias_keeps_its_internal_row(app, login):
    domain_id = build(app)
    with app.app_context():
        domain_alias = db.session.scalar(select(DomainAlias))
        services.update_domain_alias(first_superuser(), domain_alias, name="Neu.net")
        db.session.commit()
        internal = db.session.scalars(select(Alias).where(Alias.address.like("@%.net"))).all()
        assert [(a.address, a.recipients[0].address) for a in internal] == [
            ("@neu.net", "@old.com")
        ]
    rename(app, domain_id)
    with app.app_context():
        internal = db.session.scalar(select(Alias).where(Alias.address == "@neu.net"))
        assert internal.recipients[0].address == "@new.com"


def test_rename_through_the_tab_with_unicode(app, login):
    client = login()
    domain_id = build(app)
    response = client.post(
        f"/domains/{domain_id}/tabs/general",
        data={"general-name": "Neü.com", "general-type": "domain", "general-quota": "0",
              "general-default_mailbox_quota": "0", "general-enabled": "y"},
    )  # fmt: skip
    assert 'value="neü.com"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Domain, domain_id).name == "xn--ne-yka.com"
        assert db.session.get(Quota, "user@xn--ne-yka.com").bytes == 1234
