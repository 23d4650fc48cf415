"""Dovecot authenticates LDAP accounts against the directory (`generate-dovecot-conf --ldap`)."""

import re
from pathlib import Path

import ldap
import pytest

from tests.ldap_directory import PASSWORDS, configure, directory, dn
from tests.mailserver.conftest import fixture_app
from tests.mailserver.fixtureset import PASSWORD
from tests.peers import dovecot as dc
from tests.peers import require
from tests.peers._proc import make_peer_dir, remove_peer_dir

pytestmark = pytest.mark.peers
LDAP_MODULE = Path("/usr/lib/dovecot/modules/auth/libauthdb_ldap.so")


@pytest.fixture(scope="module")
def world():
    """slapd and the fixture database (example.com, user@example.com) plus alice from LDAP."""
    with directory() as server, fixture_app() as app:
        configure(app, server.port)
        login = app.test_client().post(
            "/auth/login", data={"username": "alice@example.com", "password": PASSWORDS["alice"]}
        )
        assert login.status_code == 303
        yield app, server


@pytest.fixture(scope="module")
def dovecot(world, database_driver):
    """A private Dovecot: the generated SQL passdb/userdb, then the generated LDAP passdb."""
    require(lambda: dc.available(database_driver), f"dovecot with the {database_driver} driver")
    require(LDAP_MODULE.exists, "Dovecot's LDAP module (package dovecot-ldap)")
    app, _server = world
    conf_dir = make_peer_dir("dovecot-conf")
    result = app.test_cli_runner().invoke(
        args=["generate-dovecot-conf", "--destdir", str(conf_dir), "--ldap",
              "--mail-home-template", "{mail_root}/%d/%n", "--uid", "65534", "--gid", "65534"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "dovecot-ldap.conf.ext" in result.output
    include = (conf_dir / "99-modoboa.conf").read_text()
    passdb = re.search(r"passdb \{\n  driver = ldap\n.*?\n\}\n", include, re.S)
    assert passdb is not None, include
    instance = dc.DovecotInstance(conf_dir / "dovecot-sql.conf.ext", extra_conf=passdb.group(0))
    instance.start()
    yield instance
    instance.stop()
    remove_peer_dir(conf_dir)


def test_generated_ldap_conf(world, tmp_path):
    app, server = world
    result = app.test_cli_runner().invoke(
        args=["generate-dovecot-conf", "--destdir", str(tmp_path), "--ldap", "--uid", "65534"]
    )
    assert result.exit_code == 0, result.output
    text = (tmp_path / "dovecot-ldap.conf.ext").read_text()
    assert f"uris = ldap://127.0.0.1:{server.port}\n" in text
    assert "pass_filter = (mail=%u)\n" in text and "auth_bind = yes\n" in text
    assert oct((tmp_path / "dovecot-ldap.conf.ext").stat().st_mode & 0o777) == "0o640"


def test_ldap_account_authenticates_against_the_directory(dovecot, world):
    assert dovecot.auth_test("alice@example.com", PASSWORDS["alice"])
    assert not dovecot.auth_test("alice@example.com", "Wrong1234")
    assert dovecot.user_lookup("alice@example.com") is not None  # the SQL userdb


def test_local_account_still_authenticates(dovecot):
    assert dovecot.auth_test("user@example.com", PASSWORD)


def test_a_password_changed_in_the_directory_is_the_one_that_works(dovecot, world):
    _app, server = world
    server.modify(dn("alice"), [(ldap.MOD_REPLACE, "userPassword", [b"Changed99"])])
    try:
        assert dovecot.auth_test("alice@example.com", "Changed99")
        assert not dovecot.auth_test("alice@example.com", PASSWORDS["alice"])
    finally:
        server.modify(
            dn("alice"), [(ldap.MOD_REPLACE, "userPassword", [PASSWORDS["alice"].encode()])]
        )
