"""A real Dovecot with Pigeonhole, configured only by `flask generate-dovecot-conf`.

Dovecot runs the include the command writes (passdb/userdb on the migrated fixture
database, LMTP on a Postfix-style unix socket, the Sieve plugin, ManageSieve and the master
passdb) behind the test instance's own lines; vacation replies leave for a local SMTP sink.
"""

import contextlib
import os
import secrets
import shutil
import smtplib
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy.engine import make_url

from tests.mailserver import conftest as mail_conftest
from tests.mailserver.conftest import fixture_app
from tests.peers import dovecot as dc
from tests.peers import is_root, require
from tests.peers import postfix as pf
from tests.peers._proc import free_port, make_peer_dir, remove_peer_dir
from tests.peers.smtpsink import SmtpSink

MAIL_UID = "65534"
MASTER = "modoboa-sieve"
database_driver = mail_conftest.database_driver  # the same session fixture, shared


def _cli(app, *args) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="session")
def sieve_server(database_driver):
    """The fixture database served by a Dovecot whose Sieve setup came from the command."""
    require(lambda: dc.available(database_driver), f"dovecot with {database_driver}")
    require(lambda: os.path.exists("/usr/lib/dovecot/managesieve"), "dovecot-managesieved")
    require(lambda: os.path.exists("/usr/lib/dovecot/modules/lib90_sieve_plugin.so"), "sieve")
    require(lambda: is_root() and shutil.which("postconf") is not None, "root, postfix user")
    sink = SmtpSink()
    work = make_peer_dir("sieve")
    try:
        with fixture_app() as app, _dovecot(app, sink, work) as dovecot:
            yield SimpleNamespace(app=app, dovecot=dovecot, sink=sink, lmtp=_lmtp_path(work))
    finally:
        sink.stop()
        remove_peer_dir(work)


def _lmtp_path(work: Path) -> str:
    return str(work / "spool" / "private" / "dovecot-lmtp")


@contextlib.contextmanager
def _dovecot(app, sink, work: Path):
    port = free_port()
    app.config.update(
        SIEVE_HOST="127.0.0.1",
        SIEVE_PORT=port,
        SIEVE_MASTER_USER=MASTER,
        SIEVE_MASTER_PASSWORD=secrets.token_urlsafe(24),
    )
    (work / "spool" / "private").mkdir(parents=True)
    conf = work / "dovecot"
    _cli(
        app, "generate-dovecot-conf", "--destdir", str(conf), "--uid", MAIL_UID,
        "--gid", MAIL_UID, "--postfix-spool", str(work / "spool"),
        "--managesieve-port", str(port), "--managesieve-address", "127.0.0.1",
    )  # fmt: skip
    os.chown(app.config["MAIL_ROOT"], int(MAIL_UID), int(MAIL_UID))
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        pf.prepare_sqlite_for_postfix(url.database)  # the quota dict writes it
    # The one test-only line: replies leave for the sink instead of the local sendmail.
    dovecot = dc.DovecotInstance(
        include=conf / "99-modoboa.conf",
        sieve=True,
        sieve_port=port,
        extra_conf=f"submission_host = 127.0.0.1:{sink.port}\n",
    ).start()
    try:
        yield dovecot
    finally:
        dovecot.stop()


def deliver(server, msg) -> None:
    """Deliver *msg* over the LMTP socket Postfix would use."""
    with smtplib.LMTP(server.lmtp) as lmtp:
        assert lmtp.send_message(msg) == {}


def wait_for(check, timeout: float = 10.0):
    """Poll *check* until it returns something truthy (mail is written asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


@pytest.fixture
def sieve_client(sieve_server):
    """Return a callable giving a test client of the Sieve app logged in as an address."""
    from sqlalchemy import select

    from modoboa_flask.extensions import db
    from modoboa_flask.models import User
    from tests.conftest import log_client_in

    def _client(address):
        app = sieve_server.app
        with app.app_context():
            user_id = db.session.scalar(select(User.id).where(User.username == address))
            db.session.remove()
        return log_client_in(app, app.test_client(), user_id)

    return _client
