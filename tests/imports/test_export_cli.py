"""Export format, the round trip, and the `flask import` / `flask export` commands."""

from sqlalchemy import select

from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, User
from modoboa_flask.passwords import verify_password

from .conftest import run, wipe

DOMAINS = """\
domain;b.org;100;10;True
domainalias;alias-b.org;b.org;False
domain;a.org;0;0;False
"""
IDENTITIES = """\
account;boss@b.org;{PLAIN}x;Big;Boss;True;DomainAdmins;boss@b.org;20;a.org;b.org
account;u@b.org;{PLAIN}y;;;False;SimpleUsers;u@b.org;5
account;helper;{PLAIN}z;;;True;Resellers;;
alias;z@b.org;True;u@b.org;ext@out.net
alias;list@b.org;True;z@b.org;boss@b.org
alias;@a.org;False;u@b.org
"""


def _export(runner, kind, *options):
    result = runner.invoke(args=["export", *options, kind])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes.decode()  # .output would fold \r\n into \n


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, newline="")
    return str(path)


def test_export_format(app, runner, tmp_path):
    assert run(app, DOMAINS + IDENTITIES).committed
    domains = _export(runner, "domains")
    assert domains == (
        "domain;a.org;0;0;False\r\n"
        "domain;b.org;100;10;True\r\n"
        "domainalias;alias-b.org;b.org;False\r\n"
    )
    lines = _export(runner, "identities", "--with-passwords").split("\r\n")
    assert lines[0].startswith("account;admin;{SHA512-CRYPT}") and lines[0].endswith(
        ";;;True;SuperAdmins;;"
    )
    assert lines[1:] == [
        "account;boss@b.org;{PLAIN}x;Big;Boss;True;DomainAdmins;boss@b.org;20;a.org;b.org",
        "account;helper;{PLAIN}z;;;True;Resellers;;",
        "account;u@b.org;{PLAIN}y;;;False;SimpleUsers;u@b.org;5",
        "alias;@a.org;False;u@b.org",
        "alias;z@b.org;True;ext@out.net;u@b.org",
        "alias;list@b.org;True;boss@b.org;z@b.org",  # after z@b.org, which it delivers to
        "",
    ]


def test_round_trip(app, runner, tmp_path):
    assert run(app, DOMAINS + IDENTITIES).committed
    domains = _export(runner, "domains")
    identities = _export(runner, "identities", "--with-passwords")
    wipe(app)
    result = runner.invoke(
        args=["import", "--continue-if-exists", _write(tmp_path, "d.csv", domains),
              _write(tmp_path, "i.csv", identities)]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 already existed" in result.output  # the super admin
    again = (_export(runner, "domains"), _export(runner, "identities", "--with-passwords"))
    assert again == (domains, identities)


def test_cli_flags(app, runner, tmp_path):
    path = _write(tmp_path, "f.csv", DOMAINS.replace(";", ",") + "bogus,line\n")
    result = runner.invoke(args=["import", "--sepchar", ",", "--dry-run", path])
    assert result.exit_code == 1
    assert "f.csv:4: error: Unknown row type 'bogus'" in result.output
    assert "Dry run: nothing was written. 3 objects would be created" in result.output
    result = runner.invoke(args=["import", "--sepchar", ",", path])
    assert result.exit_code == 1 and "Nothing was written" in result.output
    result = runner.invoke(args=["import", "--sepchar", ",", "--continue-on-error", path])
    assert result.exit_code == 1 and "3 objects created" in result.output
    with app.app_context():
        assert db.session.scalar(select(Domain.id).where(Domain.name == "b.org"))
    plain = _write(tmp_path, "p.csv", "account;x@b.org;Secret12;;;True;SimpleUsers;x@b.org;1\n")
    assert runner.invoke(args=["import", plain]).exit_code == 1
    result = runner.invoke(args=["import", "--crypt-password", plain])
    assert result.exit_code == 0, result.output
    with app.app_context():
        stored = db.session.scalar(select(User.password).where(User.username == "x@b.org"))
    assert stored.startswith("{SHA512-CRYPT}") and verify_password("Secret12", stored)
    assert runner.invoke(args=["import", "--sepchar", ";;", plain]).exit_code == 2
    missing = runner.invoke(args=["import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    piped = runner.invoke(args=["export", "--sepchar", "|", "domains"]).stdout_bytes
    assert piped.startswith(b"domain|a.org|0|0|False\r\n")


def test_export_in_modoboa_16_layout_imports_back(app, runner, tmp_path):
    assert run(app, DOMAINS).committed
    result = runner.invoke(args=["export", "--layout", "1.6", "domains"])
    assert result.exit_code == 0, result.output
    text = result.stdout_bytes.decode()
    # Modoboa 1.6 reads the 4th field as "enabled": no default mailbox quota there.
    assert text == (
        "domain;a.org;0;False\r\ndomain;b.org;100;True\r\ndomainalias;alias-b.org;b.org;False\r\n"
    )
    wipe(app)
    imported = runner.invoke(args=["import", _write(tmp_path, "d16.csv", text)])
    assert imported.exit_code == 0, imported.output
    with app.app_context():
        b = db.session.scalar(select(Domain).where(Domain.name == "b.org"))
        assert (b.quota, b.enabled) == (100, True)
