"""Real mail through a Postfix and a Dovecot configured only from what the commands print.

main.cf is `generate-postfix-maps --print-main-cf` plus the test instance's own lines
(directories, log, host name, 127.0.0.1; see PostfixInstance) and the _test_only_main_cf() lines
below; master.cf adds `--print-master-cf` (its submission service moved to a free port) to
the instance's stock services. Dovecot runs the include `generate-dovecot-conf` writes,
behind the instance's own lines (directories, log, IMAP port). Mail leaving the machine
(forwards, relay domains, authenticated submission) reaches a local SMTP sink.

One database, one Postfix and one Dovecot per run (this module's own: it processes the
pending rename, which the other mail-server tests expect to stay pending).
"""

import contextlib
import os
import shutil
import smtplib
import ssl
import time
import uuid
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from modoboa_flask import params
from modoboa_flask.accounts import first_superuser
from modoboa_flask.blueprints.domains import services as domains
from modoboa_flask.blueprints.identities import services as identities
from modoboa_flask.extensions import db
from modoboa_flask.models import Quota
from modoboa_flask.plugins.relaydomains.services import set_relay_settings
from tests.mailserver.conftest import fixture_app
from tests.mailserver.fixtureset import PASSWORD
from tests.peers import dovecot as dc
from tests.peers import is_root, require
from tests.peers import postfix as pf
from tests.peers._proc import free_port, make_peer_dir, remove_peer_dir, run_checked, wait_tcp
from tests.peers.smtpsink import SmtpSink

pytestmark = pytest.mark.peers

MAIL_UID = "65534"  # the test's maildir owner (nobody): the only uid/gid passed to Dovecot
OUTSIDE = "127.0.0.2"  # "the internet": only 127.0.0.1 is in mynetworks
SENDER = "sender@outside.test"


def _extra_data(sink_port: int) -> None:
    """A domain without catch-all and two relay domains whose target is the sink."""
    actor = first_superuser()
    domains.create_domain(actor, name="plain.test", create_postmaster=False)
    identities.create_account(actor, username="one@plain.test", password=PASSWORD)
    for name, verify in (("verify.test", True), ("noverify.test", False)):
        relay = domains.create_domain(actor, name=name, type="relaydomain")
        set_relay_settings(
            actor, relay, target_host="127.0.0.1", target_port=sink_port, verify_recipients=verify
        )
    db.session.commit()


def _cli(app, *args) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _certificate(directory: Path) -> str:
    """A self-signed key and certificate for STARTTLS on submission."""
    key, cert = directory / "key.pem", directory / "cert.pem"
    run_checked(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=mx.test.invalid", "-keyout", key, "-out", cert]
    )  # fmt: skip
    return f"{key},{cert}"


@pytest.fixture(scope="module")
def mailserver(database_driver):
    """The fixture database, served by a Postfix and a Dovecot built from the commands."""
    require(lambda: pf.available(database_driver), f"postfix with {database_driver} maps")
    require(lambda: dc.available(database_driver), f"dovecot with {database_driver}")
    require(lambda: is_root() and shutil.which("openssl") is not None, "root and openssl")
    sink = SmtpSink(refuse={"nobody@verify.test", "nobody@noverify.test"})
    work = make_peer_dir("e2e")
    try:
        with fixture_app() as app:
            with app.app_context():
                _extra_data(sink.port)
                db.session.remove()
            with _daemons(app, sink, work) as (postfix, dovecot, submission):
                yield SimpleNamespace(
                    app=app, postfix=postfix, dovecot=dovecot, sink=sink, submission=submission
                )
    finally:
        sink.stop()
        remove_peer_dir(work)


@contextlib.contextmanager
def _daemons(app, sink, work: Path):
    """Postfix and Dovecot configured from the commands' output; stopped on exit."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        pf.prepare_sqlite_for_postfix(url.database)
    maps, conf = work / "maps", work / "dovecot"
    _cli(app, "generate-postfix-maps", "--destdir", str(maps))
    main_cf = _cli(app, "generate-postfix-maps", "--destdir", str(maps), "--print-main-cf")
    master_cf = _cli(app, "generate-postfix-maps", "--print-master-cf")
    submission = free_port()
    postfix = pf.PostfixInstance(
        config_text=main_cf,
        # The one change to the printed master.cf: submission on a free test port.
        master_cf_text=master_cf.replace("submission inet", f"127.0.0.1:{submission} inet"),
        main_cf=_test_only_main_cf(sink.port, _certificate(work)),
    )
    pf.backdate(*maps.iterdir())
    postfix.start()
    dovecot = None
    try:
        _cli(
            app, "generate-dovecot-conf", "--destdir", str(conf), "--uid", MAIL_UID,
            "--gid", MAIL_UID, "--postfix-spool", str(postfix.queue_dir),
        )  # fmt: skip
        os.chown(app.config["MAIL_ROOT"], int(MAIL_UID), int(MAIL_UID))
        dovecot = dc.DovecotInstance(include=conf / "99-modoboa.conf").start()
        assert wait_tcp(submission)
        yield postfix, dovecot, submission
    finally:
        if dovecot is not None:
            dovecot.stop()
        postfix.stop()


def _test_only_main_cf(sink_port: int, tls_chain: str) -> dict[str, str]:
    """main.cf lines this test adds to the printed ones (the rest is instance paths)."""
    return {
        "mynetworks": "127.0.0.1/32",  # so 127.0.0.2 is an untrusted client
        "default_transport": f"smtp:[127.0.0.1]:{sink_port}",  # outbound mail: the sink
        "smtpd_tls_chain_files": tls_chain,  # a real server has its certificate here
        "address_verify_poll_delay": "1s",  # 3 s by default: only makes the test slower
    }


def _message(rcpt: str, sender: str = SENDER) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, rcpt
    msg["Subject"] = f"e2e {uuid.uuid4().hex}"
    msg.set_content("hello\n")
    return msg


def _smtp(port: int | None = None, *, source: str = OUTSIDE, server=None) -> smtplib.SMTP:
    smtp = smtplib.SMTP("127.0.0.1", port or server.postfix.smtp_port, timeout=30,
                        source_address=(source, 0))  # fmt: skip
    smtp.ehlo("client.test")
    return smtp


def _rcpt_code(server, rcpt: str, sender: str = SENDER) -> tuple[int, bytes]:
    """The answer to RCPT TO from an untrusted client on port 25."""
    with _smtp(server=server) as smtp:
        smtp.mail(sender)
        return smtp.rcpt(rcpt)


def _send(server, rcpt: str) -> str:
    """Send to *rcpt* on port 25 from an untrusted client; return the Subject."""
    msg = _message(rcpt)
    with _smtp(server=server) as smtp:
        assert smtp.send_message(msg) == {}
    return msg["Subject"]


def _maildir_has(server, address: str, subject: str) -> bool:
    local, domain = address.split("@")
    new = Path(server.app.config["MAIL_ROOT"]) / domain / local / "Maildir" / "new"
    for _ in range(100):
        if new.is_dir() and any(subject.encode() in p.read_bytes() for p in new.iterdir()):
            return True
        time.sleep(0.1)
    return False


def _quota_messages(server, address: str) -> int:
    with server.app.app_context():
        row = db.session.scalar(select(Quota).where(Quota.username == address))
        db.session.remove()
    return row.messages if row else 0


def _delivered(server, rcpt: str, mailbox: str) -> None:
    """Mail to *rcpt* lands in *mailbox*'s maildir and the quota dict counts it."""
    before = _quota_messages(server, mailbox)
    subject = _send(server, rcpt)
    assert _maildir_has(server, mailbox, subject), server.postfix.log_text()[-3000:]
    for _ in range(50):  # the dict process writes asynchronously
        if _quota_messages(server, mailbox) == before + 1:
            return
        time.sleep(0.1)
    assert _quota_messages(server, mailbox) == before + 1


def _sink_got(server, rcpt: str) -> bool:
    for _ in range(100):
        if server.sink.delivered_to(rcpt):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize(
    "rcpt, mailbox",
    [
        ("user@example.com", "user@example.com"),  # a mailbox
        ("user@alias.net", "user@example.com"),  # a domain alias
        ("list@example.com", "user@example.com"),  # an alias list (+ ext@remote.test)
        ("nobody@example.com", "user@example.com"),  # the catch-all
        ("fwd@example.com", "fwd@example.com"),  # a forward keeping a copy
        ("one@plain.test", "one@plain.test"),
    ],
)
def test_local_delivery_lands_in_the_right_maildir_and_is_counted(mailserver, rcpt, mailbox):
    _delivered(mailserver, rcpt, mailbox)


def test_list_and_forward_copies_leave_for_their_external_recipients(mailserver):
    _send(mailserver, "list@example.com")
    _send(mailserver, "fwd@example.com")
    assert _sink_got(mailserver, "ext@remote.test")
    assert _sink_got(mailserver, "far@elsewhere.test")


def test_relay_domains_verify_recipients_only_when_asked(mailserver):
    code, text = _rcpt_code(mailserver, "nobody@verify.test")
    assert code == 550, text
    # Verification off: the target's refusal is not probed at RCPT time.
    assert _rcpt_code(mailserver, "nobody@noverify.test")[0] == 250
    for rcpt in ("someone@verify.test", "someone@noverify.test"):
        _send(mailserver, rcpt)
        assert _sink_got(mailserver, rcpt)


@pytest.mark.parametrize(
    "rcpt, code, reason",
    [
        ("unknown@plain.test", 550, b"User unknown"),  # no LMTP probe: the mailbox map
        ("off@example.com", 550, b"Mailbox disabled"),  # its self-alias would accept it
        ("x@remote.test", 554, b"Relay access denied"),  # not an open relay
        ("user@disabled.org", 554, b"Relay access denied"),
    ],
)
def test_refused_at_rcpt(mailserver, rcpt, code, reason):
    got, text = _rcpt_code(mailserver, rcpt)
    assert (got, reason in text) == (code, True), text
    time.sleep(0.2)  # a verification probe would reach Dovecot within this
    assert rcpt not in mailserver.dovecot.log_text()  # refused by the maps alone


def _submission(server) -> smtplib.SMTP:
    smtp = _smtp(server.submission, source="127.0.0.1")
    smtp.starttls(context=ssl._create_unverified_context())  # noqa: S323 - self-signed test cert
    smtp.ehlo("client.test")
    return smtp


def test_authenticated_submission_sends_as_owned_addresses_only(mailserver):
    with _submission(mailserver) as smtp:
        smtp.login("user@example.com", PASSWORD)
        assert smtp.send_message(_message("a@remote.test", "user@example.com")) == {}
        assert smtp.send_message(_message("b@remote.test", "boss@example.com")) == {}  # extra
        smtp.mail("fwd@example.com")
        code, text = smtp.rcpt("c@remote.test")
        assert code == 553 and b"not owned by user" in text, text
    assert _sink_got(mailserver, "a@remote.test") and _sink_got(mailserver, "b@remote.test")
    assert not mailserver.sink.delivered_to("c@remote.test")


def test_submission_without_login_is_refused(mailserver):
    with _submission(mailserver) as smtp:
        smtp.mail("user@example.com")
        assert smtp.rcpt("a@remote.test")[0] == 554


def test_pending_rename_defers_then_delivers_after_the_operations_run(mailserver):
    app = mailserver.app
    code, text = _rcpt_code(mailserver, "moved@example.com")
    assert code == 450, text
    # The old maildir exists: the worker moves it to the new home.
    old = Path(app.config["MAIL_ROOT"]) / "example.com" / "before" / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (old / sub).mkdir(parents=True)
    for path in (old.parent, old, *old.iterdir()):
        os.chown(path, int(MAIL_UID), int(MAIL_UID))
    with app.app_context():
        params.set("admin.handle_mailboxes", "yes")
        db.session.commit()
        db.session.remove()
    pidfile = Path(app.config["MAIL_ROOT"]) / "ops.pid"
    assert "1 operation(s) done, 0 failed." in _cli(
        app, "handle-mailbox-operations", "--pidfile", str(pidfile)
    )
    assert not old.exists()
    _delivered(mailserver, "moved@example.com", "moved@example.com")


def test_the_include_drops_into_debians_stock_dovecot_conf(runner, tmp_path):
    """Generated into a copy of /etc/dovecot/conf.d, doveconf reads it without a warning."""
    require(lambda: Path("/etc/dovecot/conf.d/10-auth.conf").exists(), "Debian's /etc/dovecot")
    etc = tmp_path / "dovecot"
    shutil.copytree("/etc/dovecot", etc, symlinks=True)
    conf = etc / "dovecot.conf"
    conf.write_text(conf.read_text().replace("!include conf.d/", f"!include {etc}/conf.d/"))
    result = runner.invoke(
        args=["generate-dovecot-conf", "--destdir", str(etc / "conf.d"), "--uid", MAIL_UID,
              "--dburl", "postgresql://dovecot:pw@127.0.0.1/modoboa"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    checked = run_checked(["doveconf", "-c", conf, "-n"])
    assert checked.stderr == ""
    shown = checked.stdout
    assert "mail_location = maildir:~/Maildir" in shown
    assert "unix_listener /var/spool/postfix/private/dovecot-lmtp {" in shown
    assert "quota" in shown.split("protocol lmtp {")[1].split("}")[0]
