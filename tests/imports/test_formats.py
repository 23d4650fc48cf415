"""Files in Modoboa 1.6 and 2.x formats import as Modoboa would import them."""

from sqlalchemy import select

from modoboa_flask.extensions import db
from modoboa_flask.models import (
    Alias,
    AliasRecipient,
    Domain,
    DomainAdmin,
    DomainAlias,
    Mailbox,
    Quota,
    User,
)
from modoboa_flask.passwords import verify_password

from .conftest import messages

# Written by hand from the reference §4 formats (a Modoboa 1.6 export plus its import help).
MODOBOA_16 = """\
domain;test.com;50;True
domain;test2.com;0;False
domainalias;alias-test.com;test.com;True
account;admin;{PLAIN}password;;;True;SuperAdmins;;
account;admin@test.com;{PLAIN}toto;René;Admin;True;DomainAdmins;admin@test.com;5;test.com;unknown.org
account;user@test.com;{SHA512-CRYPT}$6$rounds=1000$abc$def;Jean;User;True;SimpleUsers;user@test.com;0
account;nomb@test.com;{PLAIN}toto;;;yes;SimpleUsers;nomb@test.com
account;off@test2.com;{PLAIN}toto;;;False;SimpleUsers;off@test2.com;10
alias;alias@test.com;True;user@test.com
forward;forward@test.com;True;user1+ext@test.com;ext@external.com
dlist;list@test.com;True;user@test.com;admin@test.com;ext@external.com
alias;@test2.com;True;off@test2.com
"""


def test_modoboa_16_file(app, do_import):
    report = do_import(MODOBOA_16, continue_on_error=True)
    # 1.6's domain quota was a per-mailbox cap; here it is a pool (quota_pool): 50 MB with
    # admin's 5 leaves 45, and a row without quota asks for the whole 50 (the 1.6 default).
    assert messages(report, "error") == {
        7: "Quota is greater than what is left of the domain pool (45M of 50M)",
        10: "Local recipient user1+ext@test.com not found",
    }
    assert messages(report, "exists") == {4: "Object already exists: account;admin"}
    assert report.counts["created"] == 9 and report.committed
    with app.app_context():
        test = db.session.scalar(select(Domain).where(Domain.name == "test.com"))
        assert (test.quota, test.default_mailbox_quota, test.enabled) == (50, 50, True)
        assert db.session.scalar(select(Domain.enabled).where(Domain.name == "test2.com")) is False
        alias = db.session.scalar(select(DomainAlias).where(DomainAlias.name == "alias-test.com"))
        assert alias.target.name == "test.com"
        admin = db.session.scalar(select(User).where(User.username == "admin@test.com"))
        assert (admin.role, admin.first_name, admin.mailbox.quota) == ("DomainAdmins", "René", 5)
        grants = db.session.scalars(
            select(DomainAdmin.domain_id).where(DomainAdmin.user_id == admin.id)
        )
        assert list(grants) == [test.id]  # unknown.org ignored, as Modoboa does
        user = db.session.scalar(select(User).where(User.username == "user@test.com"))
        assert user.password == "{SHA512-CRYPT}$6$rounds=1000$abc$def"
        assert (user.mailbox.quota, user.mailbox.use_domain_quota) == (0, False)
        assert db.session.scalar(select(Mailbox).where(Mailbox.address == "nomb")) is None
        assert verify_password("toto", admin.password)
        off = db.session.scalar(select(User).where(User.username == "off@test2.com"))
        assert off.is_active is False
        assert db.session.get(Quota, "off@test2.com") is not None
        dlist = db.session.scalar(select(Alias).where(Alias.address == "list@test.com"))
        kinds = sorted((r.address, r.r_mailbox_id is not None) for r in dlist.recipients)
        assert kinds == [
            ("admin@test.com", True), ("ext@external.com", False), ("user@test.com", True),
        ]  # fmt: skip
        catchall = db.session.scalar(select(Alias).where(Alias.address == "@test2.com"))
        assert [r.address for r in catchall.recipients] == ["off@test2.com"]
        assert (
            db.session.scalar(select(Alias.id).where(Alias.address == "forward@test.com")) is None
        )


def test_modoboa_2_domain_row_and_relay_rows(app, do_import):
    report = do_import("domain; two.org; 1000; 100; yes\ndomain;three.org;10;true\n")
    assert report.committed, report.lines
    with app.app_context():
        rows = db.session.execute(
            select(
                Domain.name, Domain.quota, Domain.default_mailbox_quota, Domain.enabled
            ).order_by(Domain.name)
        ).all()
    assert [tuple(r) for r in rows] == [("three.org", 10, 10, True), ("two.org", 1000, 100, True)]


def test_line_endings_bom_and_separator(app, do_import):
    content = "\ufeffdomain,a.org,0,0,True\rdomain,b.org,0,0,True\r\n\r\ndomain,c.org,0,0,True\n"
    report = do_import(content.encode("utf-8"), sepchar=",")
    assert report.counts["created"] == 3 and report.committed
    with app.app_context():
        assert sorted(db.session.scalars(select(Domain.name))) == ["a.org", "b.org", "c.org"]


def test_alias_recipient_order_and_tags(app, do_import):
    report = do_import(
        "domain;d.org;0;0;True\n"
        "account;u@d.org;{PLAIN}x;;;True;SimpleUsers;u@d.org;0\n"
        "alias;a@d.org;True;u+tag@d.org;u@d.org;;\n"
        "alias;b@d.org;True;a@d.org\n"
    )
    assert report.committed, report.lines
    with app.app_context():
        rows = db.session.execute(
            select(Alias.address, AliasRecipient.address, AliasRecipient.r_mailbox_id.is_not(None),
                   AliasRecipient.r_alias_id.is_not(None))
            .join(AliasRecipient, AliasRecipient.alias_id == Alias.id)
            .where(Alias.internal.is_(False)).order_by(Alias.address)
        ).all()  # fmt: skip
    # u+tag and u land in the same mailbox: one recipient row, the first written.
    assert [tuple(r) for r in rows] == [
        ("a@d.org", "u+tag@d.org", True, False), ("b@d.org", "a@d.org", False, True),
    ]  # fmt: skip
