"""Filters and out-of-office against the real Dovecot Pigeonhole, LMTP and ManageSieve."""

import datetime as dt
import imaplib
import re
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
    assert own is not None and own.putscript("mine", "keep;\n")
    assert "mine" in own.listscripts()[1]
    own.logout()
    # Its own password with another account as authorisation id: refused by Dovecot.
    assert _manage(sieve_server, USER, PASSWORD, authz=OTHER) is None
    # The other account's scripts, opened as the app does, do not include it.
    master = sieve_server.app.config["SIEVE_MASTER_PASSWORD"]
    other = _manage(sieve_server, MASTER, master, authz=OTHER)
    active, scripts = other.listscripts()
    assert "mine" not in [active, *scripts]


def test_master_user_opens_managesieve_only(sieve_server):
    password = sieve_server.app.config["SIEVE_MASTER_PASSWORD"]
    assert _manage(sieve_server, MASTER, password, authz=USER) is not None
    imap = imaplib.IMAP4("127.0.0.1", sieve_server.dovecot.imap_port)
    with pytest.raises(imaplib.IMAP4.error):
        imap.authenticate("PLAIN", lambda _: f"{USER}\0{MASTER}\0{password}".encode())
    imap.logout()


def _rule(name, **extra):
    data = {
        "name": name, "match": "all", "enabled": "y", "conditions-0-field": "from",
        "conditions-0-op": "contains", "conditions-0-value": name, "actions-0-type": "stop",
    }  # fmt: skip
    data.update(extra)
    return data


def _names(client, path):
    page = client.get(path)
    assert page.status_code == 200, page.text
    table = page.text.split('id="rules"', 1)[1].split("</table>", 1)[0]
    return [line.split(">")[-1] for line in table.split("</a>")[:-1]]


@pytest.fixture(scope="module")
def flow_account(sieve_server):
    """A fresh account for the page-flow tests (the others keep their scripts)."""
    from modoboa_flask.blueprints.identities import services as identities

    with sieve_server.app.app_context():
        account = identities.create_account(
            first_superuser(), username="flow@example.com", password=PASSWORD
        )
        db.session.commit()
        account_id = account.id
        db.session.remove()
    return account_id


def test_admin_edits_rules_in_the_pages(sieve_server, sieve_client, flow_account):
    admin = sieve_client("admin")
    base = f"/filters/{flow_account}/"
    kinds = ["seen", "fileinto", "copy", "redirect", "discard", "stop"]
    every_action = {f"actions-{i}-type": kind for i, kind in enumerate(kinds)}
    every_action.update({"actions-1-arg": "A", "actions-2-arg": "B", "actions-3-arg": "x@y.org"})
    conditions = {
        "match": "any", "conditions-1-field": "header", "conditions-1-header": "X-Spam",
        "conditions-1-op": "regex", "conditions-1-value": "^yes$", "conditions-2-field": "size",
        "conditions-2-op": "over", "conditions-2-value": "500",
    }  # fmt: skip
    for data in (_rule("one", **every_action, **conditions), _rule("two"), _rule("three")):
        response = admin.post(base + "rules/new", data=data)
        assert response.status_code == 303, response.text
    bad = _rule("bad", **{"actions-0-type": "reject"})
    response = admin.post(base + "rules/new", data=bad)
    assert response.status_code == 200 and "The reject message is required." in response.text
    assert _names(admin, base) == ["one", "two", "three"]
    assert admin.post(base + "rules/2/up").status_code == 303
    assert _names(admin, base) == ["one", "three", "two"]
    admin.post(base + "rules/0/down")
    admin.post(base + "rules/2/move", data={"to": "0"})
    assert _names(admin, base) == ["two", "three", "one"]
    admin.post(base + "rules/1/disable")
    assert "disabled" in admin.get(base).text
    admin.post(base + "rules/0/delete")
    assert _names(admin, base) == ["three", "one"]
    assert admin.get(base + "rules/9").status_code == 404
    assert admin.post(base + "rules/9/delete").status_code == 404
    with sieve_server.app.app_context():
        text = services.load(first_superuser(), db.session.get(User, flow_account)).text
        assert 'if anyof (header :contains ["from"] "one", header :regex ["X-Spam"]' in text
        assert '"three"' not in text.split("\n", 1)[1]  # disabled: listed, not run
        messages = db.session.scalars(select(Log.message).where(Log.username == "admin")).all()
        assert "Filter rule 'two' deleted (flow@example.com's filters)" in messages
        db.session.remove()


def test_raw_editor_shows_the_servers_error_and_rebuild_restores_rules(
    sieve_server, sieve_client, flow_account
):
    admin = sieve_client("admin")
    base = f"/filters/{flow_account}/"
    text = admin.get(base + "raw").text
    assert "# modoboa-rules:" in text
    response = admin.post(base + "raw", data={"script": "if true {\n  keep;\n"})
    assert response.status_code == 200 and "The server refused the script" in response.text
    assert "line " in response.text
    response = admin.post(base + "raw", data={"script": 'require ["fileinto"];\nkeep;\n'})
    assert response.status_code == 200 and "Script saved" in response.text
    page = admin.get(base).text
    assert 'id="raw-mode"' in page and 'id="rules"' not in page
    response = admin.post(base + "vacation", data={"enabled": "", "days": "7"})
    assert response.status_code == 200 and "edited by hand" in response.text
    assert admin.post(base + "rebuild").status_code == 303
    assert _names(admin, base) == ["three", "one"]


def test_user_sets_own_vacation_in_the_pages(sieve_server, sieve_client, flow_account):
    client = sieve_client("flow@example.com")
    page = client.get("/filters/vacation")
    assert page.status_code == 200
    box = re.search(r'<input[^>]*value="flow@example.com"[^>]*>', page.text).group(0)
    assert "checked" in box  # the mailbox's own address is offered ticked
    response = client.post(
        "/filters/vacation",
        data={"enabled": "y", "subject": "Holidays", "message": "Back soon",
              "addresses": ["flow@example.com"], "days": "2", "start": "", "end": ""},
    )  # fmt: skip
    assert response.status_code == 303, response.text
    assert "Holidays" in client.get("/filters/").text
    # The user's own rules (set by the admin before) are still there.
    assert _names(client, "/filters/") == ["three", "one"]
    # And the user cannot open the admin's view of someone else.
    with sieve_server.app.app_context():
        other = _account(USER).id
        db.session.remove()
    assert client.get(f"/filters/{other}/").status_code == 404
