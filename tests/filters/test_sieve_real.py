"""Filters and out-of-office against the real Dovecot Pigeonhole, LMTP and ManageSieve."""

import datetime as dt
import imaplib
import uuid
import warnings
from email.message import EmailMessage
from pathlib import Path

import pytest
from sievelib.managesieve import Client
from sqlalchemy import select

from modoboa_flask.accounts import first_superuser
from modoboa_flask.blueprints.filters import services
from modoboa_flask.exceptions import BadRequest
from modoboa_flask.extensions import db
from modoboa_flask.models import Log, User
from modoboa_flask.sieve.rules import Vacation
from tests.filters.conftest import MASTER, deliver, wait_for
from tests.mailserver.fixtureset import PASSWORD

pytestmark = pytest.mark.peers
USER, OTHER = "user@example.com", "fwd@example.com"


def _message(rcpt, subject, sender="boss@outside.test", **headers):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, rcpt, subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@outside.test>"
    msg.set_content("hello\n")
    return msg


def _maildir(server, address: str, folder: str = "") -> Path:
    local, domain = address.split("@")
    root = Path(server.app.config["MAIL_ROOT"]) / domain / local / "Maildir"
    return root / f".{folder}" if folder else root


def _has(directory: Path, subject: str) -> bool:
    for sub in ("new", "cur"):
        path = directory / sub
        if path.is_dir() and any(subject.encode() in p.read_bytes() for p in path.iterdir()):
            return True
    return False


def _manage(server, login, password, authz=""):
    client = Client("127.0.0.1", server.dovecot.sieve_port)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ok = client.connect(login, password, authz_id=authz, authmech="PLAIN")
    return client if ok else None


def _account(address):
    return db.session.scalar(select(User).where(User.username == address))


def test_rule_files_delivered_message_into_its_folder(sieve_server, sieve_client):
    client = sieve_client(USER)
    response = client.post(
        "/filters/rules/new",
        data={
            "name": "Invoices",
            "enabled": "y",
            "match": "all",
            "conditions-0-field": "subject",
            "conditions-0-op": "contains",
            "conditions-0-value": "invoice",
            "actions-0-type": "fileinto",
            "actions-0-arg": "Invoices",
        },
    )
    assert response.status_code in (200, 303), response.get_data(as_text=True)
    subject = f"Your invoice {uuid.uuid4().hex}"
    deliver(sieve_server, _message(USER, subject))
    folder = _maildir(sieve_server, USER, "Invoices")
    assert wait_for(lambda: _has(folder, subject)), sieve_server.dovecot.log_text()[-2000:]
    other = f"Hello {uuid.uuid4().hex}"
    deliver(sieve_server, _message(USER, other))
    assert wait_for(lambda: _has(_maildir(sieve_server, USER), other))
    assert not _has(folder, other)


def test_out_of_office_answers_once_per_sender_within_its_period(sieve_server):
    app = sieve_server.app
    today = dt.date.today()
    with app.app_context():
        actor, account = first_superuser(), _account(USER)
        vacation = Vacation(
            enabled=True, subject="Away", message="Back on Monday.\nRegards",
            addresses=[USER], days=3, start=str(today - dt.timedelta(days=1)),
            end=str(today + dt.timedelta(days=1)),
        )  # fmt: skip
        services.set_vacation(actor, account, vacation)
        db.session.commit()
        log = db.session.scalars(select(Log).where(Log.object_repr == USER)).all()[-1]
        assert "Out of office enabled" in log.message and "user@example.com's" in log.message
        db.session.remove()
    sender = f"s{uuid.uuid4().hex[:8]}@outside.test"
    for n in range(2):
        deliver(sieve_server, _message(USER, f"ping {n}", sender=sender))
    assert wait_for(lambda: sieve_server.sink.delivered_to(sender))
    wait_for(lambda: len(sieve_server.sink.delivered_to(sender)) > 1, timeout=1.5)
    replies = sieve_server.sink.delivered_to(sender)
    assert len(replies) == 1
    assert b"Subject: Away" in replies[0].data and b"Back on Monday." in replies[0].data
    # Outside the period (it starts tomorrow): no answer.
    with app.app_context():
        vacation.start = str(today + dt.timedelta(days=1))
        vacation.end = str(today + dt.timedelta(days=2))
        services.set_vacation(first_superuser(), _account(USER), vacation)
        db.session.commit()
        db.session.remove()
    late = f"l{uuid.uuid4().hex[:8]}@outside.test"
    subject = f"later {uuid.uuid4().hex}"
    deliver(sieve_server, _message(USER, subject, sender=late))
    assert wait_for(lambda: _has(_maildir(sieve_server, USER), subject))
    assert not wait_for(lambda: sieve_server.sink.delivered_to(late), timeout=1.5)


def test_malformed_raw_script_is_refused_with_the_servers_message(sieve_server):
    with sieve_server.app.app_context():
        actor, account = first_superuser(), _account(OTHER)
        with pytest.raises(BadRequest) as exc:
            services.save_raw(actor, account, 'require ["fileinto"];\nif header :is "x" {\n')
        assert "line" in exc.value.message and exc.value.field == "script"
        services.save_raw(actor, account, 'require ["fileinto"];\nfileinto "Kept";\n')
        filters = services.load(actor, account)
        assert filters.ruleset is None and 'fileinto "Kept"' in filters.text
        db.session.commit()
        db.session.remove()


def test_a_user_cannot_reach_another_users_scripts(sieve_server):
    own = _manage(sieve_server, USER, PASSWORD)
    assert own is not None
    assert own.listscripts()[0] is not None  # sees its own active script
    own.logout()
    # Its own password with another account as authorisation id: refused by Dovecot.
    assert _manage(sieve_server, USER, PASSWORD, authz=OTHER) is None


def test_master_user_opens_managesieve_only(sieve_server):
    password = sieve_server.app.config["SIEVE_MASTER_PASSWORD"]
    assert _manage(sieve_server, MASTER, password, authz=USER) is not None
    imap = imaplib.IMAP4("127.0.0.1", sieve_server.dovecot.imap_port)
    with pytest.raises(imaplib.IMAP4.error):
        imap.authenticate("PLAIN", lambda _: f"{USER}\0{MASTER}\0{password}".encode())
    imap.logout()
