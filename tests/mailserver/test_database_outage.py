"""A real PostgreSQL server stops mid-session and comes back: web, API, Postfix and Dovecot.

The suite's shared server must never be stopped, so this module brings its own throw-away
server (tests/peers/postgres.py). It runs once, in the PostgreSQL pass of the suite: the
other passes would only repeat the same run against the same kind of server.
"""

import imaplib
import os
import re
import smtplib
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from modoboa_flask.accounts import first_superuser
from modoboa_flask.blueprints.api.tokens import create_token
from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, Domain, DomainAlias, User
from tests.conftest import DATABASE_URL, log_client_in
from tests.mailserver import fixtureset
from tests.mailserver.conftest import build_fixture_app
from tests.peers import dovecot as dc
from tests.peers import is_root, require
from tests.peers import postfix as pf
from tests.peers import postgres as pg
from tests.peers._proc import make_peer_dir, remove_peer_dir, run

USER = "user@example.com"
HELD_SENDER = "held@remote.test"  # Postfix puts its mail on hold: "queued before the outage"
# MODOBOA_OUTAGE_MEASURE=1 (with pytest -s) leaves Postfix alone after the restart and prints
# how long it takes to accept mail again: the figures of docs/DEVELOPING.md. It can take
# minutes (Postfix retries a failed database after 60 s and smtpd caches failed address
# lookups until the process ends), so the normal run does what the docs tell an operator to
# do instead: `postfix reload`.
MEASURE = os.environ.get("MODOBOA_OUTAGE_MEASURE") == "1"
MAIL_RECOVERY_LIMIT = 300 if MEASURE else 30
# initdb, migrations, two mail servers and a stop/start cycle: more than the default 120 s on
# a loaded machine.
pytestmark = [pytest.mark.peers, pytest.mark.slow, pytest.mark.timeout(900 if MEASURE else 300)]


@dataclass
class World:
    """The app, its own PostgreSQL server and the mail servers reading it."""

    app: Flask
    server: pg.PostgresInstance
    postfix: pf.PostfixInstance
    dovecot: dc.DovecotInstance
    admin_id: int
    token: str


def _cli(app, *args):
    result = app.test_cli_runner().invoke(args=[str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def _postfix_conf(maps_dir: Path):
    """The maps of main_cf_snippet() that decide whether a recipient is accepted."""
    names = ("sql-domains.cf", "sql-domain-aliases.cf", "sql-aliases.cf", "sql-maintain.cf")
    maps = {name: (maps_dir / name).read_text() for name in names}
    main_cf = {
        "virtual_mailbox_domains": "pgsql:{etc}/sql-domains.cf",
        "virtual_alias_domains": "pgsql:{etc}/sql-domain-aliases.cf",
        "virtual_alias_maps": "pgsql:{etc}/sql-aliases.cf",
        "smtpd_recipient_restrictions": (
            "check_recipient_access pgsql:{etc}/sql-maintain.cf reject_unauth_destination"
        ),
        "smtpd_sender_restrictions": f"check_sender_access inline:{{{HELD_SENDER}=HOLD}}",
        # Polling for recovery opens many sessions: no tarpit after the 4xx answers.
        "smtpd_error_sleep_time": "0",
        "smtpd_soft_error_limit": "1000",
        "smtpd_hard_error_limit": "1000",
    }
    return main_cf, maps


@pytest.fixture(scope="module")
def world():
    """Own PostgreSQL + migrated fixture set + Dovecot and Postfix on the generated files."""
    if make_url(DATABASE_URL).get_backend_name() != "postgresql":
        pytest.skip("runs once, in the PostgreSQL pass (it brings its own server)")
    require(pg.available, "PostgreSQL server binaries (apt-get install postgresql)")
    require(lambda: pf.available("pgsql") and dc.available("pgsql"), "postfix-pgsql, dovecot-pgsql")
    require(is_root, "private Postfix/Dovecot masters need root")
    server = pg.PostgresInstance().create()
    mail_root = make_peer_dir("outage-mail")
    conf_dir = make_peer_dir("outage-conf")
    started, app = [], None
    try:
        server.psql("CREATE DATABASE modoboa")
        app = build_fixture_app(server.url("modoboa"), mail_root)
        with app.app_context():
            admin = first_superuser()
            _token, key = create_token(admin, admin, name="outage")
            db.session.commit()
            admin_id = admin.id
            db.session.remove()
        _cli(app, "generate-postfix-maps", "--destdir", conf_dir)
        _cli(app, "generate-dovecot-conf", "--destdir", conf_dir, "--mail-home-template",
             "{mail_root}/%d/%n", "--uid", "65534", "--gid", "65534")  # fmt: skip
        dovecot = dc.DovecotInstance(conf_dir / "dovecot-sql.conf.ext").start()
        started.append(dovecot)
        main_cf, maps = _postfix_conf(conf_dir)
        postfix = pf.PostfixInstance(main_cf, maps, lmtp=f"127.0.0.1:{dovecot.lmtp_port}")
        started.append(postfix.start())
        yield World(app, server, postfix, dovecot, admin_id, key)
    finally:
        for daemon in reversed(started):
            daemon.stop()
        if app is not None:
            with app.app_context():
                db.engine.dispose()
        server.destroy()
        remove_peer_dir(conf_dir)
        remove_peer_dir(mail_root)


def _offer(world, rcpt: str, msgid: str, sender: str = "sender@remote.test"):
    """Offer one message over SMTP; return (RCPT reply code, queue id when accepted)."""
    with smtplib.SMTP("127.0.0.1", world.postfix.smtp_port, timeout=30) as smtp:
        smtp.ehlo("client.test")
        smtp.mail(sender)
        code, _reply = smtp.rcpt(rcpt)
        if code != 250:
            smtp.rset()
            return code, None
        body = f"From: {sender}\r\nTo: {rcpt}\r\nMessage-ID: <{msgid}>\r\nSubject: t\r\n\r\nhi\r\n"
        code, reply = smtp.data(body)
        assert code == 250, reply
        return code, re.search(rb"queued as (\w+)", reply).group(1).decode()


def _copies(world, msgid: str) -> int:
    """How many copies of *msgid* the user's Maildir holds."""
    maildir = world.dovecot.mail_root / "example.com" / "user" / "Maildir"
    files = [
        f for sub in ("new", "cur") if (maildir / sub).is_dir() for f in (maildir / sub).iterdir()
    ]
    return sum(f"<{msgid}>" in f.read_text(errors="replace") for f in files)


def _postqueue(world, *args):
    return run(["postqueue", "-c", world.postfix.etc_dir, *args])


def _wait(check, limit: float, step: float = 0.5):
    """Poll *check* until it returns a true value; return (value, seconds waited)."""
    begin = time.monotonic()
    while True:
        value = check()
        if value or time.monotonic() - begin > limit:
            return value, time.monotonic() - begin
        time.sleep(step)


def _statuses(world, queue_id: str) -> list[str]:
    return re.findall(rf"{queue_id}: to=<[^>]+>.*? status=(\w+)", world.postfix.log_text())


def _imap_login(world) -> str:
    """Log in over IMAP: "OK", or the code of the refusal (AUTHENTICATIONFAILED, UNAVAILABLE)."""
    try:
        with imaplib.IMAP4("127.0.0.1", world.dovecot.imap_port, timeout=30) as imap:
            return imap.login(USER, fixtureset.PASSWORD)[0]
    except imaplib.IMAP4.error as error:
        found = re.search(r"\[([A-Z]+)\]", str(error))
        return found.group(1) if found else str(error)


def _measure_postfix(world, web_seconds: float, dovecot_seconds: float) -> None:
    """Print how long an untouched Postfix takes to accept mail again after the restart."""

    def accepts(sender):
        return _offer(world, USER, "probe@outage.test", sender=sender)[0] == 250

    probes = iter(range(1_000_000))
    fresh, fresh_seconds = _wait(lambda: accepts(f"new{next(probes)}@remote.test"), 300, 1)
    same, same_seconds = _wait(lambda: accepts("sender@remote.test"), 300, 1)
    print(
        f"\nrecovery after the restart: web {web_seconds:.2f} s, dovecot {dovecot_seconds:.1f} s,"
        f" postfix: a new sender {fresh_seconds:.0f} s, the sender refused during the outage"
        f" {fresh_seconds + same_seconds:.0f} s (retrying every second)"
    )
    assert fresh and same


def test_stop_and_restart_the_database_mid_session(world):
    app = world.app
    browser = log_client_in(app, app.test_client(), world.admin_id)
    api = {"Authorization": f"Token {world.token}"}
    client = app.test_client()
    assert browser.get("/dashboard/").status_code == 200
    assert client.get("/api/v1/domains/", headers=api).status_code == 200
    code, held = _offer(world, USER, "held@outage.test", sender=HELD_SENDER)
    assert code == 250
    assert "!" in _postqueue(world, "-p").stdout  # "!" marks a held message

    world.server.stop()

    # The web: 503 + Retry-After everywhere, the same process, nothing of the request kept.
    page = browser.get("/dashboard/")
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert 'id="error-page"' in page.get_data(as_text=True)
    login = client.post("/auth/login", data={"username": "admin", "password": "password"})
    assert login.status_code == 503
    created = browser.post("/domains/new", data={"general-name": "during.test",
                           "general-type": "domain", "general-enabled": "y"})  # fmt: skip
    assert created.status_code == 503
    answer = client.get("/api/v1/domains/", headers=api)
    assert (answer.status_code, answer.get_json()) == (
        503,
        {"detail": "Service temporarily unavailable"},
    )
    assert client.get("/healthz").status_code == 503

    # Mail: refused for now (4xx, the sender retries), never bounced (5xx).
    code, _ = _offer(world, USER, "during@outage.test")
    assert 400 <= code < 500
    # The held message is released into a queue run that cannot resolve its recipient.
    run(["postsuper", "-c", world.postfix.etc_dir, "-H", "ALL"])
    _postqueue(world, "-f")
    statuses, _ = _wait(lambda: _statuses(world, held), 30)
    assert statuses and set(statuses) == {"deferred"}, world.postfix.log_text()
    # Logins: a temporary failure, not "wrong password" (clients would ask for it again).
    assert _imap_login(world) == "UNAVAILABLE"

    world.server.start()

    began = time.monotonic()
    assert browser.get("/dashboard/").status_code == 200  # same session, same process
    web_seconds = time.monotonic() - began
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/api/v1/domains/", headers=api).status_code == 200
    login_state, dovecot_seconds = _wait(lambda: _imap_login(world) == "OK", MAIL_RECOVERY_LIMIT)
    assert login_state, f"no IMAP login within {MAIL_RECOVERY_LIMIT} s:\n{world.dovecot.log_text()}"
    if MEASURE:
        _measure_postfix(world, web_seconds, dovecot_seconds)
    else:
        world.postfix.reload()
    # The sender retries the message Postfix refused during the outage.
    retried, _ = _wait(lambda: _offer(world, USER, "during@outage.test")[0] == 250, 30, 1)
    assert retried, f"RCPT still refused after the reload:\n{world.postfix.log_text()[-3000:]}"
    _postqueue(world, "-f")
    delivered, _ = _wait(
        lambda: _copies(world, "held@outage.test") and _copies(world, "during@outage.test"), 60
    )
    assert delivered, world.postfix.log_text()
    time.sleep(2)  # a duplicate would arrive within this time: there must be none
    assert _copies(world, "held@outage.test") == 1
    assert _copies(world, "during@outage.test") == 1
    assert _statuses(world, held).count("sent") == 1
    assert "status=bounced" not in world.postfix.log_text()
    assert _postqueue(world, "-p").stdout.strip() == "Mail queue is empty"
    with app.app_context():
        assert db.session.scalar(select(Domain).where(Domain.name == "during.test")) is None
        db.session.remove()


def test_a_connection_lost_between_two_inserts_leaves_no_row(world):
    """The server ends the request's connection after its first INSERT: 503, nothing kept."""
    app = world.app
    browser = log_client_in(app, app.test_client(), world.admin_id)
    with app.app_context():
        engine = db.engine
    killed = []

    def kill_after_first_insert(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT") and not killed:
            pid = conn.connection.dbapi_connection.info.backend_pid
            killed.append(world.server.psql(f"SELECT pg_terminate_backend({pid})"))

    wizard = {
        "general-name": "half.test",
        "general-type": "domain",
        "general-enabled": "y",
        "general-aliases": "half-alias.test",
        "options-create_admin": "y",
        "options-create_postmaster": "y",
    }
    event.listen(engine, "after_cursor_execute", kill_after_first_insert)
    try:
        response = browser.post("/domains/new", data=wizard)
    finally:
        event.remove(engine, "after_cursor_execute", kill_after_first_insert)
    assert killed == ["t"]
    assert response.status_code == 503

    def half_rows():
        return [
            db.session.scalar(select(func.count()).where(condition))
            for condition in (
                Domain.name == "half.test",
                DomainAlias.name == "half-alias.test",
                User.username.like("%@half.test"),
                Alias.address.like("%@half.test"),
            )
        ]

    with app.app_context():
        assert half_rows() == [0, 0, 0, 0]
        db.session.remove()
    # The pool replaced the dead connection: the same request now succeeds in full.
    assert browser.post("/domains/new", data=wizard).status_code in (200, 303)
    with app.app_context():
        assert half_rows() == [1, 1, 1, 2]  # admin@ and postmaster@
        db.session.remove()
