"""Dry run, all-or-nothing and continue-on-error; permissions and limits."""

import pytest
from sqlalchemy import func, select

from modoboa_flask import signals
from modoboa_flask.exceptions import LimitReached
from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, Log, Mailbox, User
from tests import factories

from .conftest import messages

FILE = """\
domain;ok.org;0;0;True
account;u1@ok.org;{PLAIN}x;;;True;SimpleUsers;u1@ok.org;0
account;u2@ok.org;{PLAIN}x;;;True;SimpleUsers;u2@bad.org;0
alias;a@ok.org;True;u1@ok.org
"""


def _counts(app):
    """Domains, accounts, and audit rows other than the import's own summary."""
    with app.app_context():
        logs = select(func.count(Log.id)).where(Log.action != "import")
        return tuple(
            db.session.scalar(select(func.count(model.id))) for model in (Domain, User)
        ) + (db.session.scalar(logs),)


def test_dry_run_writes_nothing_and_reports_every_line(app, do_import):
    before = _counts(app)
    report = do_import(FILE, dry_run=True, continue_on_error=True)
    assert [(line.number, report.status_label(line.status)) for line in report.lines] == [
        (1, "would be created"), (2, "would be created"), (3, "error"), (4, "would be created"),
    ]  # fmt: skip
    assert report.summary().startswith("Dry run: nothing was written.")
    assert _counts(app) == before


def test_all_or_nothing(app, do_import):
    before = _counts(app)
    report = do_import(FILE)
    assert not report.committed and report.exit_code == 1
    assert _counts(app) == before
    with app.app_context():
        summary = db.session.scalar(select(Log.message).where(Log.action == "import"))
    assert summary.startswith("Import of test.csv: Nothing was written")


def test_continue_on_error_keeps_the_valid_lines(app, do_import):
    report = do_import(FILE, continue_on_error=True)
    assert report.committed and report.counts == {"created": 3, "exists": 0, "error": 1}
    again = do_import(FILE, continue_on_error=True)
    assert again.counts == {"created": 0, "exists": 3, "error": 1}
    assert messages(again, "exists")[1] == "Object already exists: domain;ok.org"


def test_domain_admin_may_not_import_domains(app, do_import):
    with app.app_context():
        admin = factories.make_user(role="DomainAdmins")
    report = do_import("domain;x.org;0;0;True\ndomainalias;y.org;x.org;True\n", admin,
                       continue_on_error=True)  # fmt: skip
    assert messages(report, "error") == {
        1: "You are not allowed to import domains",
        2: "You are not allowed to import domain aliases.",
    }


def test_domain_admin_stays_in_his_domains(app, do_import):
    with app.app_context():
        mine, other = factories.make_domain("mine.org"), factories.make_domain("other.org")
        admin = factories.make_user(role="DomainAdmins")
        factories.grant_domain(admin, mine)
    report = do_import(
        "account;u@mine.org;{PLAIN}x;;;True;SimpleUsers;u@mine.org;0\n"
        "account;u@other.org;{PLAIN}x;;;True;SimpleUsers;u@other.org;0\n"
        "alias;a@other.org;True;u@mine.org\n", admin, continue_on_error=True,
    )  # fmt: skip
    assert messages(report, "error") == {
        2: "You don't have access to this domain", 3: "You don't have access to this domain",
    }  # fmt: skip
    assert other


def test_foreign_addresses_answer_the_same_taken_or_not(app, do_import):
    with app.app_context():
        mine, other = factories.make_domain("mine.org"), factories.make_domain("other.org")
        factories.make_mailbox(mine, "taken")
        factories.make_mailbox(other, "taken")
        admin = factories.make_user(role="DomainAdmins")
        factories.grant_domain(admin, mine)
    lines = "".join(
        f"account;{name};{{PLAIN}}x;;;True;SimpleUsers;{name};0\n"
        for name in ("taken@other.org", "free@other.org", "new@mine.org", "taken@mine.org")
    )
    report = do_import(lines, admin, continue_on_error=True)
    # "already exists" would tell which of another tenant's addresses are in use.
    assert messages(report, "error") == {
        1: "You don't have access to this domain", 2: "You don't have access to this domain",
    }  # fmt: skip
    assert list(messages(report, "exists")) == [4]


def test_reseller_creates_domains_and_admins(app, do_import):
    with app.app_context():
        reseller = factories.make_user(role="Resellers")
    report = do_import(
        "domain;shop.org;0;0;True\n"
        "account;boss@shop.org;{PLAIN}x;;;True;DomainAdmins;boss@shop.org;0;shop.org\n"
        "account;big;{PLAIN}x;;;True;Resellers;;\n", reseller, continue_on_error=True,
    )  # fmt: skip
    assert messages(report, "error") == {
        3: "You can't import an account with a role greater than yours"
    }
    with app.app_context():
        assert db.session.scalar(select(Domain.owner_id).where(Domain.name == "shop.org")) == (
            reseller
        )


@pytest.fixture
def three_mailboxes_per_domain(app):
    """A stand-in limit: 3 mailboxes per domain (the limits plugin answers the same signal)."""

    def check(sender, *, context, object_type, count=1, **extra):
        if isinstance(context, Domain) and object_type == "mailboxes":
            used = db.session.scalar(
                select(func.count(Mailbox.id)).where(Mailbox.domain_id == context.id)
            )
            if used + count > 3:
                raise LimitReached("Mailboxes: limit reached")

    signals.can_create_object.connect(check, sender=app)
    yield
    signals.can_create_object.disconnect(check, sender=app)


def test_limit_reached_inside_a_batch(app, do_import, three_mailboxes_per_domain):
    lines = "".join(
        f"account;u{i}@ok.org;{{PLAIN}}x;;;True;SimpleUsers;u{i}@ok.org;0\n" for i in range(5)
    )
    report = do_import("domain;ok.org;0;0;True\n" + lines, continue_on_error=True, batch_size=10)
    assert messages(report, "error") == {
        5: "Mailboxes: limit reached",
        6: "Mailboxes: limit reached",
    }
    assert report.counts["created"] == 4
