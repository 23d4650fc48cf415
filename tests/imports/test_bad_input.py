"""Every kind of bad input gets a clear per-line or per-file message, never a traceback."""

import io

import pytest
from sqlalchemy import func, select

from modoboa_flask.extensions import db
from modoboa_flask.imports.reader import FileProblem, RowReader
from modoboa_flask.models import Domain, User

from .conftest import messages

GOOD = "domain;ok.org;0;0;True\n"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("domain;a.org;0", "Invalid line: a domain row has 4 (Modoboa 1.6) or 5"),
        ("domainalias;x.org;ok.org", "Invalid line: a domainalias row has 4 fields"),
        ("account;u@ok.org;{PLAIN}x;;;True", "Invalid line: a account row has at least 7"),
        ("dlist;l@ok.org;True;a@ok.org", "Invalid line: a dlist row has at least 5"),
        ("mailbox;u@ok.org", "Unknown row type 'mailbox'"),
        ("account;u@nowhere.org;{PLAIN}x;;;True;SimpleUsers;u@nowhere.org;0",
         "Account import failed (u@nowhere.org): domain nowhere.org does not exist"),
        ("alias;a@nowhere.org;True;x@y.org", "Domain 'nowhere.org' does not exist"),
        ("account;not-an-address;{PLAIN}x;;;True;SimpleUsers;not-an-address",
         "Invalid e-mail address: not-an-address"),
        ("domain;bad_name!;0;0;True", "is not a valid domain name"),
        ("domain;q.org;lots;0;True", "Invalid quota value for domain 'q.org'"),
        ("account;u@ok.org;{PLAIN}x;;;True;SimpleUsers;u@ok.org;-5",
         "Account import failed (u@ok.org): wrong quota value"),
        ("account;u@ok.org;{PLAIN}x;;;True;SimpleUsers;u@ok.org;",
         "Account import failed (u@ok.org): wrong quota value"),
        ("account;u@ok.org;{PLAIN}x;;;True;Emperors;u@ok.org", "Unknown role 'Emperors'"),
        ("account;u@ok.org;secret;;;True;SimpleUsers;u@ok.org", "is not hashed"),
        ("account;u@ok.org;{NOPE}x;;;True;SimpleUsers;u@ok.org", "Unknown password scheme"),
        ("account;u@ok.org;{PLAIN}x;;;True;SimpleUsers;v@ok.org", "must not differ"),
        ("relaydomain;r.org;mx.r.org;25;relay;True;False", "Relay domains are not enabled"),
    ],
)  # fmt: skip
def test_bad_lines(app, do_import, line, message):
    report = do_import(GOOD + line + "\n")
    assert not report.committed
    assert message in messages(report, "error")[2]
    with app.app_context():  # all or nothing: the good line was not written either
        assert db.session.scalar(select(func.count(Domain.id))) == 0


def test_duplicate_lines(do_import):
    report = do_import(GOOD + GOOD + "domainalias;x.org;ok.org;True\ndomainalias;x.org;ok.org;1\n")
    assert messages(report, "error") == {
        2: "Duplicate line: domain ok.org already appears earlier in the file",
        4: "Duplicate line: domainalias x.org already appears earlier in the file",
    }


def test_role_above_the_importer(app, do_import):
    with app.app_context():
        from tests import factories

        domain = factories.make_domain("ok.org")
        admin = factories.make_user(role="DomainAdmins")
        factories.grant_domain(admin, domain)
    report = do_import(
        "account;boss;{PLAIN}x;;;True;SuperAdmins;;\naccount;r;{PLAIN}x;;;True;Resellers;;\n",
        admin, continue_on_error=True,
    )  # fmt: skip
    assert set(messages(report, "error").values()) == {
        "You can't import an account with a role greater than yours"
    }
    with app.app_context():
        assert db.session.scalar(select(User.id).where(User.username == "boss")) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"\n \r\n;;\n", "The file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a text file"),
        (GOOD.encode() + "domain;été.org;0;0;True\n".encode("latin-1"), "not UTF-8 text"),
        ("domain;été.org;0;0;True\n".encode("utf-16"), "This is not a text file"),
    ],
)
def test_bad_files(app, do_import, content, message):
    report = do_import(content)
    assert len(report.file_errors) == 1 and message in report.file_errors[0][1]
    assert not report.committed and report.counts["created"] == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(Domain.id))) == 0


def test_size_cap():
    data = io.BytesIO(GOOD.encode() * 100_000)  # 2.3 MB
    with pytest.raises(FileProblem, match="larger than 1 MB"):
        list(RowReader(data, ";", max_bytes=1024 * 1024))


def test_reader_strips_and_splits_every_line_ending():
    data = b'\xef\xbb\xbfa ; b\r\n\r\n c;d \rq;"x;y"\nlast'
    assert list(RowReader(io.BytesIO(data))) == [
        (1, ["a", "b"]), (3, ["c", "d"]), (4, ["q", "x;y"]), (5, ["last"]),
    ]  # fmt: skip


def test_bad_separator():
    with pytest.raises(FileProblem, match="Invalid separator"):
        RowReader(io.BytesIO(b"a"), ";;")
