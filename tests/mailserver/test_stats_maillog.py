"""Statistics from the log the real Postfix writes while delivering real messages.

The end-to-end fixture (Postfix + Dovecot LMTP configured from the commands' output, a sink
for outbound mail) delivers one message to a mailbox, bounces one (a relay target refusing
the recipient), defers one (a relay target that is down) and refuses one at RCPT; then
`flask parse-maillog` reads the instance's maillog_file and the counters match what was sent.
"""

import time

import pytest
from sqlalchemy import select

from modoboa_flask.accounts import first_superuser
from modoboa_flask.blueprints.domains import services as domains
from modoboa_flask.extensions import db
from modoboa_flask.models import Domain
from modoboa_flask.plugins.relaydomains.services import set_relay_settings
from modoboa_flask.stats.series import traffic
from tests.mailserver.test_end_to_end import _cli, _rcpt_code, _send, mailserver  # noqa: F401
from tests.peers._proc import free_port

pytestmark = pytest.mark.peers


def _wait_for(server, *needles: str) -> str:
    """The log once every needle is in it (Postfix logs after each delivery attempt)."""
    for _ in range(200):
        log = server.postfix.log_text()
        if all(needle in log for needle in needles):
            return log
        time.sleep(0.1)
    raise AssertionError(f"{needles} not logged:\n{log[-3000:]}")


def _domain_totals(app, name: str) -> dict:
    with app.app_context():
        domain = db.session.scalar(select(Domain).where(Domain.name == name))
        totals = traffic(first_superuser(), period="day", domain=domain).totals
        db.session.remove()
    return totals


def test_counters_match_what_the_real_postfix_did(mailserver):  # noqa: F811
    app = mailserver.app
    with app.app_context():
        down = domains.create_domain(first_superuser(), name="down.test", type="relaydomain")
        # Nothing listens there: every attempt is a temporary failure (deferred).
        set_relay_settings(
            first_superuser(), down, target_host="127.0.0.1", target_port=free_port()
        )
        db.session.commit()
        db.session.remove()
    _send(mailserver, "user@example.com")
    _send(mailserver, "nobody@noverify.test")  # the sink refuses it after queueing: bounce
    _send(mailserver, "later@down.test")
    code, _ = _rcpt_code(mailserver, "unknown@plain.test")
    assert code == 550
    log = _wait_for(
        mailserver,
        "to=<user@example.com>",
        "to=<nobody@noverify.test>, relay=127.0.0.1",
        "to=<later@down.test>",
        "<unknown@plain.test>: Recipient address rejected",
    )
    assert "status=bounced" in log and "status=deferred" in log
    logfile = str(mailserver.postfix.maillog)
    output = _cli(app, "parse-maillog", "--file", logfile)
    assert "line(s) read from 1 file(s)" in output
    assert _domain_totals(app, "example.com")["received"] == 1
    assert _domain_totals(app, "noverify.test")["bounced"] == 1
    assert _domain_totals(app, "down.test")["deferred"] == 1
    assert _domain_totals(app, "plain.test")["rejected"] == 1
    before = {name: _domain_totals(app, name) for name in ("example.com", "plain.test")}
    _cli(app, "parse-maillog", "--file", logfile)  # cron again: nothing counted twice
    assert before == {name: _domain_totals(app, name) for name in before}
    _send(mailserver, "user@example.com")
    for _ in range(100):  # the second delivery, once logged, is counted once
        if mailserver.postfix.log_text().count("to=<user@example.com>") > log.count(
            "to=<user@example.com>"
        ):
            break
        time.sleep(0.1)
    _cli(app, "parse-maillog", "--file", logfile)
    after = _domain_totals(app, "example.com")
    assert after["received"] == before["example.com"]["received"] + 1
    assert after["size_received"] > before["example.com"]["size_received"]
