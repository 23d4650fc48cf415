"""Safe exports: password hashes only on a super admin's request, no spreadsheet formulas."""

import csv
import io

import pytest
from sqlalchemy import select

from modoboa_flask.extensions import db
from modoboa_flask.imports.cells import neutralise, restore
from modoboa_flask.models import Log, User
from tests import factories

from .conftest import wipe

HOSTILE = ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(1)", "\tTab", "\rCR", "'quoted", "'=x", "''@"]


@pytest.mark.parametrize("value", [*HOSTILE, "", "plain", "'t Hart", "a=b", "'", "''"])
def test_neutralise_is_undone_by_restore(value):
    cell = neutralise(value)
    assert restore(cell) == value
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_restore_keeps_hand_written_quotes():
    # Only a `'` the export could have added is removed.
    assert [restore(v) for v in ["'t Hart", "''x", "'", "x'=y"]] == ["'t Hart", "''x", "'", "x'=y"]
    assert [restore(v) for v in ["'=1", "'''x", "'-"]] == ["=1", "''x", "-"]


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def _accounts(app):
    with app.app_context():
        domain = factories.make_domain("b.org")
        factories.make_mailbox(domain, "ann")
        factories.make_user(role="Resellers", username="helper")


def _passwords(text: str) -> dict[str, str]:
    return {row[1]: row[2] for row in _rows(text) if row[0] == "account"}


def _export_logs(app):
    with app.app_context():
        logs = db.session.scalars(select(Log).where(Log.action == "export").order_by(Log.id))
        return [(log.message, log.level, log.changes, log.channel) for log in logs]


def test_cli_exports_hashes_only_when_asked(app, runner):
    _accounts(app)
    plain = runner.invoke(args=["export", "identities"])
    assert plain.exit_code == 0, plain.output
    assert set(_passwords(plain.output).values()) == {""}
    full = runner.invoke(args=["export", "--with-passwords", "identities"])
    hashes = _passwords(full.output)
    assert set(hashes) == {"admin", "ann@b.org", "helper"}
    assert all(value.startswith("{SHA512-CRYPT}") for value in hashes.values())
    assert _export_logs(app) == [
        ("Export of identities", "INFO", {"with_passwords": [None, False]}, "cli"),
        ("Export of identities with password hashes", "WARNING",
         {"with_passwords": [None, True]}, "cli"),
    ]  # fmt: skip
    refused = runner.invoke(args=["export", "--with-passwords", "domains"])
    assert refused.exit_code == 2 and "only applies to identities" in refused.output


def test_download_hashes_for_super_admins_who_ask(app, client, login):
    _accounts(app)
    login()
    plain = client.get("/imports/export/identities")
    assert set(_passwords(plain.get_data(as_text=True)).values()) == {""}
    full = client.get("/imports/export/identities?with_passwords=1")
    assert full.status_code == 200
    assert _passwords(full.get_data(as_text=True))["ann@b.org"].startswith("{SHA512-CRYPT}")
    assert [entry[:2] for entry in _export_logs(app)] == [
        ("Export of identities", "INFO"),
        ("Export of identities with password hashes", "WARNING"),
    ]
    # Domains have no passwords: the option is ignored there.
    assert client.get("/imports/export/domains?with_passwords=1").status_code == 200


def test_others_never_get_hashes(app, client, login):
    with app.app_context():
        domain = factories.make_domain("b.org")
        factories.make_mailbox(domain, "ann")
        reseller = factories.make_user(role="Resellers")
        factories.grant_domain(reseller, domain)
    login(user_id=reseller)
    refused = client.get("/imports/export/identities?with_passwords=1")
    assert refused.status_code == 403
    assert _export_logs(app) == []  # refused before anything was recorded
    plain = client.get("/imports/export/identities")
    passwords = _passwords(plain.get_data(as_text=True))
    assert "ann@b.org" in passwords and set(passwords.values()) == {""}
    page = client.get("/identities/").get_data(as_text=True)
    assert 'id="identities-export"' in page and "identities-export-passwords" not in page


def test_checkbox_for_super_admins_only_on_the_full_page(app, client, login):
    login()
    page = client.get("/identities/").get_data(as_text=True)
    assert 'id="identities-export-passwords" data-export-link="identities-export"' in page
    # The list fragment re-sends the link, not the checkbox (a search keeps its state).
    fragment = client.get("/identities/?q=a", headers={"HX-Request": "true"}).get_data(True)
    assert 'id="identities-export"' in fragment and "identities-export-passwords" not in fragment
    assert "identities-export-passwords" not in client.get("/domains/").get_data(as_text=True)


def _hostile_accounts(app):
    """Accounts whose free-text fields look like formulas (simple users and administrators)."""
    with app.app_context():
        domain = factories.make_domain("b.org")
        for number, value in enumerate(HOSTILE):
            factories.make_mailbox(domain, f"u{number}", first_name=value, last_name="x" + value)
            # Usernames have no white space nor '/' (the services refuse them).
            username = "".join(value.split()).replace("/", "") + "adm"
            factories.make_user(role="Resellers", username=username, last_name=value)


def _free_text(app):
    with app.app_context():
        users = db.session.scalars(select(User).where(User.username != "admin"))
        return sorted((u.username, u.first_name, u.last_name, u.role) for u in users)


def test_formula_cells_are_neutralised_and_import_back_exactly(app, runner, do_import):
    _hostile_accounts(app)
    before = _free_text(app)
    domains = runner.invoke(args=["export", "domains"]).stdout_bytes.decode()
    exported = runner.invoke(args=["export", "--with-passwords", "identities"])
    exported = exported.stdout_bytes.decode()  # .output folds \r\n
    accounts = [row for row in _rows(exported) if row[0] == "account"]
    for row in accounts:
        cells = [row[1], *row[3:5]] if row[6] != "SimpleUsers" else row[3:5]
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells), row
    ann = next(row for row in accounts if row[1] == "u0@b.org")
    assert ann[3] == "'=cmd|' /C calc'!A0"
    wipe(app)
    lines = [line for line in exported.split("\r\n") if not line.startswith("account;admin;")]
    report = do_import(domains + "\r\n".join(lines))
    assert report.committed, [line for line in report.lines if line.status != "created"]
    assert _free_text(app) == before
