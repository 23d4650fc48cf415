"""Prove each peer helper drives the real daemon, without the app."""

import imaplib
import os
import smtplib
import sqlite3
import time
import uuid
from pathlib import Path

import dns.resolver
import dns.reversename
import pytest

from tests.peers import browser, dovecot, is_root, make_peer_dir, postfix, require, slapd
from tests.peers import dns as peer_dns
from tests.peers._proc import remove_peer_dir
from tests.peers.dburl import peer_database

PASSWORD = "s3cret pass"


def _hashes() -> dict[str, str]:
    # Cheap rounds: the point is the scheme and format, not the cost.
    from passlib.hash import argon2, bcrypt, sha512_crypt

    return {
        "SHA512-CRYPT": "{SHA512-CRYPT}" + sha512_crypt.using(rounds=5000).hash(PASSWORD),
        "BLF-CRYPT": "{BLF-CRYPT}" + bcrypt.using(rounds=4).hash(PASSWORD),
        "ARGON2ID": "{ARGON2ID}"
        + argon2.using(type="ID", memory_cost=1024, rounds=2).hash(PASSWORD),
    }


@pytest.fixture
def peer_dir():
    """A temp dir that daemons running as postfix/dovecot users can read."""
    path = make_peer_dir("selftest")
    yield path
    remove_peer_dir(path)


@pytest.fixture
def mail_db(peer_dir) -> Path:
    """A tiny SQLite mail database: domains, mailboxes with Dovecot-style hashes, aliases."""
    path = peer_dir / "mail.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            CREATE TABLE domain (name TEXT PRIMARY KEY, enabled BOOLEAN NOT NULL);
            CREATE TABLE mailbox (email TEXT PRIMARY KEY, password TEXT NOT NULL,
                                  active BOOLEAN NOT NULL);
            CREATE TABLE alias (address TEXT NOT NULL, goto TEXT NOT NULL,
                                enabled BOOLEAN NOT NULL);
            INSERT INTO domain VALUES ('example.com', TRUE), ('disabled.org', FALSE);
            INSERT INTO alias VALUES ('sales@example.com', 'alice@example.com', TRUE),
                                     ('sales@example.com', 'bob@example.com', TRUE),
                                     ('sales@example.com', 'old@example.com', FALSE);
            """
        )
        hashes = _hashes()
        conn.executemany(
            "INSERT INTO mailbox VALUES (?, ?, ?)",
            [
                ("alice@example.com", hashes["SHA512-CRYPT"], True),
                ("bob@example.com", hashes["BLF-CRYPT"], True),
                ("carol@example.com", hashes["ARGON2ID"], True),
                ("inactive@example.com", hashes["SHA512-CRYPT"], False),
            ],
        )
    conn.close()
    return path


DOMAINS_Q = "SELECT name FROM domain WHERE name='%s' AND enabled=TRUE"
MAILBOXES_Q = "SELECT email FROM mailbox WHERE email='%s' AND active=TRUE"
ALIASES_Q = "SELECT goto FROM alias WHERE address='%s' AND enabled=TRUE"


def _dovecot_sql(db: Path) -> str:
    return f"""\
driver = sqlite
connect = {db}
default_pass_scheme = SHA512-CRYPT
password_query = SELECT email AS user, password FROM mailbox \
WHERE email = '%Lu' AND active = TRUE
user_query = SELECT '{{mail_root}}/%Ld/%Ln' AS home, 65534 AS uid, 65534 AS gid \
FROM mailbox WHERE email = '%Lu' AND active = TRUE
iterate_query = SELECT email AS user FROM mailbox WHERE active = TRUE
"""


def test_require_skips_or_fails_under_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    require("sh", "a shell exists")
    require(lambda: True, "callable check")
    with pytest.raises(pytest.skip.Exception):
        require("/nonexistent/binary", "missing peer")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        require(("sh", "/nonexistent/binary"), "missing peer")


def test_peer_database_from_urls():
    pg = peer_database("postgresql+psycopg://postgres@127.0.0.1:5432/modoboa_x")
    assert pg.postfix_params() == {
        "hosts": "127.0.0.1:5432",
        "user": "postgres",
        "dbname": "modoboa_x",
    }
    assert pg.dovecot_connect() == "host=127.0.0.1 port=5432 dbname=modoboa_x user=postgres"
    my = peer_database("mysql+pymysql://root:pw@127.0.0.1:3306/modoboa_x?charset=utf8mb4")
    assert my.postfix_params()["hosts"] == "inet:127.0.0.1:3306"
    assert my.dovecot_connect().endswith("user=root password=pw")
    assert peer_database("sqlite:////tmp/x/app.db").postfix_params() == {"dbpath": "/tmp/x/app.db"}
    with pytest.raises(ValueError):
        peer_database("sqlite://")


@pytest.mark.peers
def test_postmap_query_sqlite(mail_db, peer_dir):
    require(lambda: postfix.available("sqlite"), "postfix + postfix-sqlite not installed")
    domains = peer_dir / "domains.cf"
    domains.write_text(postfix.map_cf("sqlite", DOMAINS_Q, dbpath=str(mail_db)))
    aliases = peer_dir / "aliases.cf"
    aliases.write_text(postfix.map_cf("sqlite", ALIASES_Q, dbpath=str(mail_db)))

    assert postfix.postmap_query(domains, "EXAMPLE.com", "sqlite") == "example.com"
    assert postfix.postmap_query(domains, "disabled.org", "sqlite") is None
    assert postfix.postmap_query(domains, "x' OR '1'='1", "sqlite") is None  # %s is quoted
    found = postfix.postmap_query(aliases, "sales@example.com", "sqlite")
    assert sorted(found.split(",")) == ["alice@example.com", "bob@example.com"]

    broken = peer_dir / "broken.cf"
    broken.write_text(postfix.map_cf("sqlite", "SELECT nope FROM nowhere", dbpath=str(mail_db)))
    with pytest.raises(postfix.PeerError, match="no such table"):
        postfix.postmap_query(broken, "example.com", "sqlite")


@pytest.mark.peers
def test_postmap_query_on_test_database(peer_dir):
    """Postfix's pgsql/mysql map modules reach the server the suite runs against."""
    url = os.environ.get("MODOBOA_TEST_DATABASE_URL", "")
    if not url.startswith(("postgresql", "mysql", "mariadb")):
        pytest.skip("MODOBOA_TEST_DATABASE_URL is not PostgreSQL or MariaDB")
    target = peer_database(url)
    require(lambda: postfix.available(target.driver), f"postfix-{target.driver} not installed")
    from sqlalchemy import create_engine, text

    table = f"peers_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {table} (name VARCHAR(100), enabled BOOLEAN)"))
        conn.execute(text(f"INSERT INTO {table} VALUES ('example.com', TRUE)"))
    try:
        query = f"SELECT name FROM {table} WHERE name='%s' AND enabled=TRUE"
        cf = peer_dir / "domains.cf"
        cf.write_text(postfix.map_cf(target.driver, query, **target.postfix_params()))
        assert postfix.postmap_query(cf, "example.com", target.driver) == "example.com"
        assert postfix.postmap_query(cf, "other.org", target.driver) is None
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {table}"))
        engine.dispose()


@pytest.mark.peers
def test_doveadm_pw_verify():
    require(dovecot.available, "dovecot-core not installed")
    assert {"SHA512-CRYPT", "BLF-CRYPT", "ARGON2ID"} <= dovecot.doveadm_schemes()
    for hashed in _hashes().values():
        assert dovecot.doveadm_pw_verify(hashed, PASSWORD)
        assert not dovecot.doveadm_pw_verify(hashed, "wrong")
    bare = _hashes()["SHA512-CRYPT"].removeprefix("{SHA512-CRYPT}")
    assert dovecot.doveadm_pw_verify(bare, PASSWORD, scheme="SHA512-CRYPT")
    with pytest.raises(dovecot.PeerError):
        dovecot.doveadm_pw_verify("no-scheme-prefix", PASSWORD)


@pytest.mark.peers
def test_dovecot_and_postfix_deliver_from_sqlite(mail_db):
    require(lambda: dovecot.available("sqlite"), "dovecot-sqlite not installed")
    require(lambda: postfix.available("sqlite"), "postfix-sqlite not installed")
    require(is_root, "private Postfix/Dovecot masters need root")
    postfix.prepare_sqlite_for_postfix(mail_db)
    maps = {
        name: postfix.map_cf("sqlite", query, dbpath=str(mail_db))
        for name, query in (
            ("domains.cf", DOMAINS_Q),
            ("mailboxes.cf", MAILBOXES_Q),
            ("aliases.cf", ALIASES_Q),
        )
    }
    main_cf = {
        "virtual_mailbox_domains": "sqlite:{etc}/domains.cf",
        "virtual_mailbox_maps": "sqlite:{etc}/mailboxes.cf",
        "virtual_alias_maps": "sqlite:{etc}/aliases.cf",
    }
    with dovecot.DovecotInstance(_dovecot_sql(mail_db)) as dv:
        for user in ("alice", "bob", "carol"):
            assert dv.auth_test(f"{user}@example.com", PASSWORD), dv.log_text()
        assert not dv.auth_test("alice@example.com", "wrong")
        assert not dv.auth_test("inactive@example.com", PASSWORD)
        info = dv.user_lookup("alice@example.com")
        assert info["home"] == f"{dv.mail_root}/example.com/alice"
        assert info["uid"] == "65534"
        assert dv.user_lookup("ghost@example.com") is None
        imap = imaplib.IMAP4("127.0.0.1", dv.imap_port, timeout=10)
        assert imap.login("alice@example.com", PASSWORD)[0] == "OK"
        imap.logout()

        with postfix.PostfixInstance(main_cf, maps, lmtp=f"127.0.0.1:{dv.lmtp_port}") as pf:
            with smtplib.SMTP("127.0.0.1", pf.smtp_port, timeout=15) as smtp:
                smtp.ehlo("client.test")
                smtp.mail("sender@remote.test")
                assert smtp.rcpt("alice@example.com")[0] == 250
                assert smtp.rcpt("ghost@example.com")[0] == 550
                assert smtp.rcpt("inactive@example.com")[0] == 550
                assert smtp.rcpt("x@disabled.org")[0] == 554
                smtp.rset()
                smtp.sendmail(
                    "sender@remote.test", ["sales@example.com"], "Subject: t\r\n\r\nhello\r\n"
                )
            inboxes = [
                dv.mail_root / "example.com" / u / "Maildir" / "new" for u in ("alice", "bob")
            ]
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not all(
                d.is_dir() and any(d.iterdir()) for d in inboxes
            ):
                time.sleep(0.05)
            assert all(d.is_dir() and any(d.iterdir()) for d in inboxes), pf.log_text()
            assert "fatal" not in pf.log_text()


@pytest.mark.peers
def test_slapd_bind_and_search():
    require(slapd.available, "slapd not installed")
    import ldap

    entries = f"""\
dn: ou=users,dc=example,dc=com
objectClass: organizationalUnit
ou: users

dn: uid=alice,ou=users,dc=example,dc=com
objectClass: inetOrgPerson
uid: alice
cn: Alice Example
sn: Example
mail: alice@example.com
userPassword: {slapd.ssha("alicepw")}
"""
    with slapd.SlapdInstance("dc=example,dc=com", entries) as server:
        alice = "uid=alice,ou=users,dc=example,dc=com"
        conn = ldap.initialize(server.uri)
        conn.simple_bind_s(alice, "alicepw")
        assert conn.whoami_s() == f"dn:{alice}"
        conn.unbind_s()
        with pytest.raises(ldap.INVALID_CREDENTIALS):
            ldap.initialize(server.uri).simple_bind_s(alice, "wrong")
        admin = ldap.initialize(server.uri)
        admin.simple_bind_s(server.rootdn, server.rootpw)
        found = admin.search_s("dc=example,dc=com", ldap.SCOPE_SUBTREE, "(mail=alice@*)", ["uid"])
        assert [dn for dn, _ in found] == [alice]
        admin.unbind_s()


@pytest.mark.peers
def test_dns_server_answers_mail_records():
    require(peer_dns.available, "bind9 (named) not installed")
    dkim_key = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" + "A" * 330
    zones = {
        "example.com": [
            "@ MX 10 mail",
            "mail A 192.0.2.10",
            '@ TXT "v=spf1 mx -all"',
            '_dmarc TXT "v=DMARC1; p=quarantine"',
            peer_dns.txt("modoboa._domainkey", f"v=DKIM1; k=rsa; p={dkim_key}"),
        ],
        "2.0.192.in-addr.arpa": ["10 PTR mail.example.com."],
    }
    with peer_dns.DnsServer(zones) as server:
        resolver = server.resolver()

        def texts(name, rdtype):
            return [r.to_text() for r in resolver.resolve(name, rdtype)]

        assert texts("example.com", "MX") == ["10 mail.example.com."]
        assert texts("mail.example.com", "A") == ["192.0.2.10"]
        assert texts("example.com", "TXT") == ['"v=spf1 mx -all"']
        assert texts("_dmarc.example.com", "TXT") == ['"v=DMARC1; p=quarantine"']
        dkim = resolver.resolve("modoboa._domainkey.example.com", "TXT")[0]
        assert b"".join(dkim.strings).decode() == f"v=DKIM1; k=rsa; p={dkim_key}"
        ptr = dns.reversename.from_address("192.0.2.10")
        assert texts(ptr, "PTR") == ["mail.example.com."]
        with pytest.raises(dns.resolver.NXDOMAIN):
            resolver.resolve("missing.example.com", "A")
        with pytest.raises(dns.resolver.NXDOMAIN):  # the root zone answers for other names
            resolver.resolve("other.org", "MX")
        with pytest.raises(dns.resolver.NoAnswer):
            resolver.resolve("example.com", "AAAA")


def _hello_app(environ, start_response):
    body = b"""<!doctype html><title>peer selftest</title>
<button id="b" onclick="document.getElementById('out').textContent = 'clicked'">Go</button>
<p id="out"></p>"""
    start_response("200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))])
    return [body]


@pytest.mark.browser
def test_chromium_opens_live_server(peer_dir, chromium):
    with browser.LiveServer(_hello_app) as server:
        page = chromium.new_page()
        try:
            page.goto(server.url + "/")
            assert page.title() == "peer selftest"
            page.click("#b")
            assert page.text_content("#out") == "clicked"
            shot = peer_dir / "page.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 1000
        finally:
            page.close()
