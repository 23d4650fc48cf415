"""The real Dovecot, configured by `flask generate-dovecot-conf`, agrees with the database."""

import imaplib
import re
import smtplib
import time
from email.message import EmailMessage

import pytest
from sqlalchemy import delete, select

from modoboa_flask.accounts import first_superuser
from modoboa_flask.extensions import db
from modoboa_flask.models import Quota
from modoboa_flask.passwords import SCHEME_CHOICES
from tests.conftest import log_client_in
from tests.mailserver.fixtureset import PASSWORD, scheme_accounts
from tests.peers import dovecot as dc
from tests.peers import require
from tests.peers._proc import make_peer_dir, remove_peer_dir

pytestmark = pytest.mark.peers


@pytest.fixture(scope="module")
def dovecot(mail_app, database_driver):
    """A private Dovecot whose passdb, userdb and quota dict are the generated files."""
    require(lambda: dc.available(database_driver), f"dovecot with the {database_driver} driver")
    conf_dir = make_peer_dir("dovecot-conf")
    result = mail_app.test_cli_runner().invoke(
        args=[
            "generate-dovecot-conf",
            "--destdir",
            str(conf_dir),
            "--mail-home-template",
            "{mail_root}/%d/%n",  # DovecotInstance puts its mail root there
            "--uid",
            "65534",
            "--gid",
            "65534",
        ]
    )
    assert result.exit_code == 0, result.output
    instance = dc.DovecotInstance(
        conf_dir / "dovecot-sql.conf.ext", conf_dir / "dovecot-dict-sql.conf.ext"
    )
    instance.start()
    yield instance
    instance.stop()
    remove_peer_dir(conf_dir)


def test_every_password_scheme_authenticates(dovecot):
    supported = dc.doveadm_schemes()
    accounts = scheme_accounts()
    tried = [s for s, name in SCHEME_CHOICES.items() if name in supported]
    # Modoboa 1.6's eight schemes at least (md5 is Dovecot's PLAIN-MD5).
    assert {"sha512crypt", "sha256crypt", "blfcrypt", "md5crypt", "sha256", "md5", "crypt",
            "plain"} <= set(tried)  # fmt: skip
    failed = [s for s in tried if not dovecot.auth_test(accounts[s], PASSWORD)]
    assert failed == []
    assert dovecot.auth_test("user@example.com", PASSWORD)
    assert dovecot.auth_test("USER@Example.com", PASSWORD)  # %Lu


def test_wrong_password_disabled_account_and_disabled_domain_are_refused(dovecot):
    assert not dovecot.auth_test("user@example.com", "Wrong1234")
    assert not dovecot.auth_test("off@example.com", PASSWORD)
    assert not dovecot.auth_test("user@disabled.org", PASSWORD)


def test_user_lookup_gives_home_uid_gid_and_quota(dovecot):
    fields = dovecot.user_lookup("user@example.com")
    assert fields["home"] == f"{dovecot.mail_root}/example.com/user"
    assert (fields["uid"], fields["gid"]) == ("65534", "65534")
    assert fields["quota_rule"] == "*:bytes=10M"
    assert dovecot.user_lookup("off@example.com") is None
    assert dovecot.user_lookup("user@disabled.org") is None


def test_imap_login(dovecot):
    with imaplib.IMAP4("127.0.0.1", dovecot.imap_port) as imap:
        assert imap.login("user@example.com", PASSWORD)[0] == "OK"
        assert imap.select("INBOX")[0] == "OK"
    with imaplib.IMAP4("127.0.0.1", dovecot.imap_port) as imap:
        with pytest.raises(imaplib.IMAP4.error):
            imap.login("off@example.com", PASSWORD)


def test_lmtp_delivery_updates_the_quota_row_and_the_quotas_list(dovecot, mail_app):
    with mail_app.app_context():
        # No usage row yet: Dovecot must insert one (the schema's server defaults allow it).
        db.session.execute(delete(Quota).where(Quota.username == "user@example.com"))
        db.session.commit()
        db.session.remove()
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@b.test", "user@example.com", "hi"
    message.set_content("hello, quota\n" * 100_000)  # ~1.3 MB: a visible share of 10 MB
    with smtplib.LMTP("127.0.0.1", dovecot.lmtp_port) as lmtp:
        assert lmtp.send_message(message) == {}
        # The documentation's user_query would deliver to these: ours refuses them.
        for refused in ("off@example.com", "user@disabled.org"):
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                lmtp.send_message(message, to_addrs=[refused])
    new = dovecot.mail_root / "example.com" / "user" / "Maildir" / "new"
    assert len(list(new.iterdir())) == 1
    row = None
    for _ in range(50):  # the dict process writes asynchronously
        with mail_app.app_context():
            row = db.session.scalar(select(Quota).where(Quota.username == "user@example.com"))
            db.session.remove()
        if row is not None and row.messages == 1:
            break
        time.sleep(0.1)
    assert row.messages == 1
    assert row.bytes >= len(message.as_bytes())
    _quotas_list_shows(mail_app, row.bytes)


def _quotas_list_shows(mail_app, used: int) -> None:
    """The identities quotas page (a super admin's) shows what Dovecot wrote."""
    with mail_app.app_context():
        admin_id = first_superuser().id
        db.session.remove()
    client = log_client_in(mail_app, mail_app.test_client(), admin_id)
    response = client.get("/identities/quotas?q=user@example.com")
    assert response.status_code == 200
    rows = re.findall(r"<tr>(.*?)</tr>", response.get_data(as_text=True), re.S)
    row = next(r for r in rows if ">user@example.com</a>" in r)
    cells = [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
    percent = round(used * 100 / (10 * 1048576))
    assert percent > 0
    assert cells[1:] == [[f"{used / 1048576:.1f}"], ["10"], [str(percent), "%"]]


def test_mailbox_operations_ask_the_real_doveadm_for_the_home(dovecot, mail_app):
    from modoboa_flask.blueprints.mailserver.mailboxops import lookup_home

    with mail_app.app_context():
        saved = dict(mail_app.config)
        mail_app.config.update(DOVEADM_PATH=dc.DOVEADM, DOVECOT_CONFIG=str(dovecot.conf_path))
        try:
            assert lookup_home("user@example.com") == f"{dovecot.mail_root}/example.com/user"
            # Unknown to Dovecot (disabled): the configured template answers instead.
            root = mail_app.config["MAIL_ROOT"]
            assert lookup_home("off@example.com") == f"{root}/example.com/off"
        finally:
            mail_app.config.clear()
            mail_app.config.update(saved)
