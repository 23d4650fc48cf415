"""Issue 11 through the CSV import, on the row-by-row and on the batched path."""

import pytest
from sqlalchemy import select

from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, Mailbox
from tests.hostile_names import HOSTILE_LOCAL_PARTS, UNUSUAL_LOCAL_PARTS, ids

from .conftest import messages, usernames


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'  # newlines and tabs stay inside the field


def _rows(local: str) -> str:
    address = _quoted(f"{local}@ok.org")
    return (
        "domain;ok.org;0;0;True\n"
        f"account;{address};{{PLAIN}}x;;;True;SimpleUsers;{address};0\n"
        f"account;boss;{{PLAIN}}x;;;True;DomainAdmins;{address};0\n"
        f"alias;{address};True;x@ext.org\n"
        f"forward;{_quoted(f'{local}.f@ok.org')};True;x@ext.org\n"
    )


@pytest.mark.parametrize("local", HOSTILE_LOCAL_PARTS, ids=ids(HOSTILE_LOCAL_PARTS))
def test_import_refuses_hostile_local_parts(app, do_import, local):
    report = do_import(_rows(local), continue_on_error=True)
    if "\x00" in local:  # the reader refuses the whole file before any row
        assert "binary data" in report.file_errors[0][1]
    else:
        errors = messages(report, "error")
        assert len(errors) == 4, errors  # both accounts, the alias and the forward
        assert all("Invalid e-mail address" in message for message in errors.values()), errors
    assert usernames(app) == ["admin"]
    with app.app_context():
        assert db.session.scalar(select(Mailbox.id)) is None
        assert db.session.scalar(select(Alias.id).where(Alias.address.like("%@ok.org"))) is None


@pytest.mark.parametrize("local", UNUSUAL_LOCAL_PARTS)
def test_import_accepts_unusual_valid_local_parts(app, do_import, local):
    report = do_import(
        "domain;ok.org;0;0;True\n"
        f"account;{local}@ok.org;{{PLAIN}}x;;;True;SimpleUsers;{local}@ok.org;0\n"
        f"alias;{local}.a@ok.org;True;x@ext.org\n"
    )
    assert report.committed and not messages(report, "error")
    assert usernames(app) == sorted(["admin", f"{local}@ok.org"])
