"""CSV fields past their column's bounds: a line error on both paths and every database."""

import pytest
from sqlalchemy import func, select

from modoboa_flask.extensions import db
from modoboa_flask.imports.reader import SNIFF_BYTES
from modoboa_flask.models import Alias, Domain, User

from .conftest import messages

GOOD = "domain;ok.org;0;0;True\n"
LONG = "x" * 31


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("domain;q.org;2147483648;0;True", "Invalid quota value for domain 'q.org'"),
        ("domain;q.org;0;99999999999999999999999;True", "Invalid quota value for domain"),
        ("account;u@ok.org;{PLAIN}x;;;True;SimpleUsers;u@ok.org;2147483648",
         "Account import failed (u@ok.org): wrong quota value"),
        (f"account;u@ok.org;{{PLAIN}}x;{LONG};;True;SimpleUsers;u@ok.org;0",
         "First name of account 'u@ok.org': Ensure this value has at most 30 characters."),
        (f"account;u@ok.org;{{PLAIN}}x;;{LONG};True;SimpleUsers;u@ok.org;0",
         "Last name of account 'u@ok.org': Ensure this value has at most 30 characters."),
        ("account;u@ok.org;{PLAIN}" + "x" * 300 + ";;;True;SimpleUsers;u@ok.org;0",
         "Password of account 'u@ok.org': Ensure this value has at most 256 characters."),
        ("alias;" + "a" * 250 + "@ok.org;True;x@y.org",
         "Alias address: Ensure this value has at most 254 characters."),
        ("alias;a@ok.org;True;" + "r" * 250 + "@y.org",
         "Recipient of 'a@ok.org': Ensure this value has at most 254 characters."),
    ],
)  # fmt: skip
def test_fields_past_their_column(app, do_import, line, message):
    report = do_import(GOOD + line + "\n")
    assert not report.committed
    assert message in messages(report, "error")[2]
    with app.app_context():
        assert db.session.scalar(select(func.count(Domain.id))) == 0
        assert db.session.scalar(select(func.count(Alias.id))) == 0
        assert db.session.scalar(select(func.count(User.id))) == 1  # the initial admin


@pytest.mark.parametrize(
    "line",
    ["account;u@ok.org;{PLAIN}x;a\x00;;True;SimpleUsers;u@ok.org;0", "alias;a@ok.org;True;x\x00@y"],
)
def test_nul_past_the_sniffed_head(app, do_import, line):
    # The reader refuses binary files by their head; a NUL further down reaches the rows.
    padding = "\n" * SNIFF_BYTES
    report = do_import(GOOD + padding + line + "\n")
    assert not report.committed
    [message] = messages(report, "error").values()
    assert message.endswith(": NUL characters are not allowed.")
