"""SQLite in production: a live Postfix smtpd never fails a lookup while the app writes."""

import glob
import grp
import os
import smtplib
import threading
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from modoboa_flask.extensions import db
from modoboa_flask.models import Alias
from tests.conftest import DATABASE_URL
from tests.peers import is_root, require
from tests.peers import postfix as pf

pytestmark = pytest.mark.peers

MIN_ROUNDS = 3  # 30 RCPT lookups each
MIN_SECONDS = 3


def _writer(app, started: threading.Event, stop: threading.Event, counter: list):
    """Commit small writes to the tables Postfix reads, as fast as possible."""
    with app.app_context():
        alias = db.session.scalar(select(Alias).where(Alias.address == "list@example.com"))
        while not stop.is_set():
            alias.description = f"write {counter[0]}"
            db.session.commit()
            counter[0] += 1
            started.set()
        db.session.remove()


def _smtp_round(port: int) -> list:
    """One SMTP session: RCPTs whose answers depend on three SQLite maps."""
    wrong = []
    expected = {"user@example.com": 250, "moved@example.com": 450, "x@disabled.org": 554}
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.ehlo("client.test")
        for _ in range(10):
            smtp.mail("sender@client.test")
            for rcpt, code in expected.items():
                got = smtp.rcpt(rcpt)[0]
                if got != code:
                    wrong.append((rcpt, got))
            smtp.rset()
    return wrong


def test_smtpd_with_sqlite_maps_sees_no_failed_lookup_during_writes(mail_app, maps_dir):
    if make_url(DATABASE_URL).get_backend_name() != "sqlite":
        pytest.skip("SQLite only: the server databases have no such locking")
    require(lambda: pf.available("sqlite") and is_root(), "postfix with sqlite maps, as root")
    with mail_app.app_context():
        # The app turns WAL on for SQLite files: readers never see "database is locked".
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        db.session.remove()
    db_path = make_url(mail_app.config["SQLALCHEMY_DATABASE_URI"]).database
    # What generate-postfix-maps tells the administrator to do (the files are created 0640).
    directory = os.path.dirname(db_path)
    for path in (directory, *glob.glob(f"{db_path}*")):
        os.chown(path, -1, grp.getgrnam("postfix").gr_gid)
        os.chmod(path, os.stat(path).st_mode | 0o060 | (0o2000 if path == directory else 0))
    names = ("sql-domains.cf", "sql-aliases.cf", "sql-maintain.cf")
    maps = {name: (maps_dir / name).read_text() for name in names}
    main_cf = {
        "virtual_mailbox_domains": "sqlite:{etc}/sql-domains.cf",
        "virtual_alias_maps": "sqlite:{etc}/sql-aliases.cf",
        # Refused RCPTs are the point here: no tarpit.
        "smtpd_error_sleep_time": "0",
        "smtpd_soft_error_limit": "1000",
        "smtpd_hard_error_limit": "1000",
        "smtpd_recipient_restrictions": (
            "check_recipient_access sqlite:{etc}/sql-maintain.cf reject_unauth_destination"
        ),
    }
    started, stop, counter = threading.Event(), threading.Event(), [0]
    with pf.PostfixInstance(main_cf, maps) as postfix:
        writer = threading.Thread(target=_writer, args=(mail_app, started, stop, counter))
        writer.start()
        wrong, rounds = [], 0
        try:
            assert started.wait(30)
            begin = time.monotonic()
            # Lookups during at least MIN_SECONDS of concurrent commits.
            while rounds < MIN_ROUNDS or time.monotonic() - begin < MIN_SECONDS:
                wrong += _smtp_round(postfix.smtp_port)
                rounds += 1
            elapsed = time.monotonic() - begin
        finally:
            stop.set()
            writer.join(timeout=30)
        log = postfix.log_text()
    assert wrong == []
    assert rounds * 30 >= 90
    assert counter[0] > 100, f"only {counter[0]} commits in {elapsed:.1f}s: no real contention"
    for problem in ("database is locked", "fatal:", "readonly database", "lookup error"):
        assert problem not in log
