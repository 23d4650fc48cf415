"""The parser alone: line formats, queue-id correlation, what counts as what."""

from datetime import datetime

import pytest

from modoboa_flask.stats.parser import MAX_PENDING, MaillogParser
from tests.stats import fixtures

NOW = datetime(2026, 12, 7, 12, 0)


def _events(lines, parser=None):
    parser = parser or MaillogParser(now=NOW)
    return [e for line in lines for e in parser.feed_line(line.encode())]


def test_fixture_log_gives_one_event_per_outcome():
    events = _events(fixtures.LINES)
    summary = [(e.queue_id, e.sender, e.recipient, e.status, e.size, e.counted) for e in events]
    assert summary == [
        ("1A2B3C", "sender@outside.test", "user@example.com", "sent", 1200, True),
        ("4D5E6F", "user@example.com", "far@remote.test", "deferred", 800, True),
        ("4D5E6F", "user@example.com", "far@remote.test", "deferred", 800, False),
        ("4D5E6F", "user@example.com", "far@remote.test", "sent", 800, True),
        ("7A8B9C", "user@example.com", "nobody@remote.test", "bounced", 500, True),
        ("NOQUEUE", "spam@outside.test", "unknown@example.com", "rejected", 0, True),
        ("9F9F9F", "a@outside.test", "other@other.test", "sent", 300, True),
    ]
    assert events[0].original == "user@alias.net"
    assert events[0].time == datetime(2026, 12, 7, 10, 0, 2)
    assert events[0].relay == "127.0.0.1[127.0.0.1]:24"
    assert "Recipient address rejected" in events[5].detail


def test_removed_messages_are_forgotten_so_memory_follows_the_queue():
    parser = MaillogParser(now=NOW)
    _events(fixtures.LINES, parser)
    assert parser.pending == {}


def test_pending_is_bounded_oldest_first():
    parser = MaillogParser(now=NOW)
    for n in range(MAX_PENDING + 3):
        parser._qmgr(NOW, f"Q{n}: from=<a@b.c>, size=1, nrcpt=1 (queue active)")
    assert len(parser.pending) == MAX_PENDING
    assert "Q0" not in parser.pending and f"Q{MAX_PENDING + 2}" in parser.pending


def test_rfc3339_and_short_iso_stamps_are_read_as_utc():
    lines = [
        "2026-12-07T10:00:00.123456+01:00 mx postfix/qmgr[1]: AB: from=<a@x.test>, size=9, nrcpt=1 (queue active)",  # noqa: E501 - a log line as written
        "2026-12-07T09:00:01+0000 mx postfix/lmtp[2]: AB: to=<b@y.test>, relay=h, delay=0, dsn=2.0.0, status=sent (ok)",  # noqa: E501 - a log line as written
    ]
    (event,) = _events(lines)
    assert (event.time, event.sender, event.size) == (datetime(2026, 12, 7, 9, 0, 1), "a@x.test", 9)


def test_a_stamp_ahead_of_now_is_last_years():
    line = (
        "Dec 31 23:59:00 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[1.2.3.4]: "
        "554 5.7.1 <a@b.c>: Relay access denied; from=<s@t.u> to=<a@b.c> proto=SMTP"
    )
    (event,) = _events([line], MaillogParser(now=datetime(2027, 1, 1, 0, 5)))
    assert event.time == datetime(2026, 12, 31, 23, 59)


def test_noise_probes_and_other_programs_are_skipped():
    lines = [
        "Dec 07 10:00:00 mx dovecot: lmtp(1): Connect from local",
        "Dec 07 10:00:00 mx postfix/smtp[3]: AB: to=<a@b.c>, relay=h, delay=0, dsn=2.0.0, status=deliverable (ok)",  # noqa: E501 - a log line as written
        "Dec 07 10:00:00 mx postfix/smtpd[3]: disconnect from unknown[127.0.0.1] ehlo=1 commands=1",
        "garbage \xff line postfix",
        "Xyz 07 10:00:00 mx postfix/qmgr[1]: AB: removed",
    ]
    assert _events(lines) == []


def test_journal_records_are_fed_by_program_and_message():
    parser = MaillogParser(now=NOW)
    list(parser.feed(NOW, "postfix/qmgr", "AB: from=<a@x.test>, size=5, nrcpt=1 (queue active)"))
    (event,) = parser.feed(
        NOW, "postfix/lmtp", "AB: to=<b@y.test>, relay=h, delay=0, dsn=2.0.0, status=sent (ok)"
    )
    assert (event.sender, event.size, event.status) == ("a@x.test", 5, "sent")


def test_postscreen_milter_and_header_rejections():
    lines = [
        "Dec 07 10:00:00 mx postfix/postscreen[9]: NOQUEUE: reject: RCPT from [192.0.2.9]:4567: "  # noqa: E501
        "550 5.7.1 Service unavailable; client [192.0.2.9] blocked using zen.spamhaus.org; "
        "from=<s@spam.test>, to=<user@example.com>, proto=ESMTP, helo=<x>",
        "Dec 07 10:00:01 mx postfix/cleanup[8]: 5E5E5E: milter-reject: END-OF-MESSAGE from "
        "x[192.0.2.9]: 5.7.1 Spam message rejected; from=<s@spam.test> to=<b@example.com> "
        "proto=ESMTP helo=<x>",
    ]
    events = _events(lines)
    assert [(e.queue_id, e.sender, e.recipient, e.status) for e in events] == [
        ("NOQUEUE", "s@spam.test", "user@example.com", "rejected"),
        ("5E5E5E", "s@spam.test", "b@example.com", "rejected"),
    ]
    assert "blocked using zen.spamhaus.org" in events[0].detail


@pytest.mark.parametrize(
    "line",
    [
        # A recipient address (quoted local part) carrying fake fields.
        'NOQUEUE: reject: RCPT from x[192.0.2.9]: 550 5.1.1 <"u; from=<ceo@b.test> '
        'to=<ub@b.test>"@a.test>: Recipient address rejected: User unknown; '
        'from=<spam@ext.test> to=<"u; from=<ceo@b.test> to=<ub@b.test>"@a.test> '
        "proto=ESMTP helo=<x>",
        # A header check quoting the subject.
        "4F4F4F: reject: header Subject: hi; from=<ceo@b.test> to=<ub@b.test> from "
        "x[192.0.2.9]; from=<spam@ext.test> to=<user@example.com> proto=ESMTP helo=<x>",
        # The HELO name.
        "NOQUEUE: reject: RCPT from x[192.0.2.9]: 554 5.7.1 Relay access denied; "
        "from=<spam@ext.test> to=<r@ext.test> proto=ESMTP "
        "helo=<x; from=<ceo@b.test> to=<ub@b.test> proto=ESMTP helo=<y>",
    ],
)
def test_fields_forged_by_the_sender_give_no_event(line):
    """Whoever talks SMTP chooses the addresses, subject and HELO a reject line repeats: two
    "; from=<" make the line ambiguous, and a guess could charge another tenant's domain."""
    stamped = f"Dec 07 10:00:00 mx postfix/{'cleanup' if 'header' in line else 'smtpd'}[9]: {line}"
    events = _events([stamped])
    assert not [e for e in events if "b.test" in e.sender + e.recipient]
