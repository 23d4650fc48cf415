"""The Postfix log data/mail.log, written as Postfix 3.7's maillog_file writes it.

Times are UTC (the tests run with TZ=UTC, see conftest). Queue ids:
- 1A2B3C: outside -> user@example.com (sent, 1200 bytes), via alias address
- 4D5E6F: user@example.com -> far@remote.test (deferred twice, then sent, 800 bytes)
- 7A8B9C: user@example.com -> nobody@remote.test (bounced, 500 bytes)
- NOQUEUE: unknown@example.com rejected at RCPT
- 9F9F9F: from outside to other@other.test (sent, 300 bytes)
"""

from pathlib import Path

LINES = (Path(__file__).parent / "data" / "mail.log").read_text().splitlines()


def text(lines=LINES) -> str:
    """The lines joined as a log file."""
    return "".join(f"{line}\n" for line in lines)


def text_at(start) -> str:
    """The log moved to begin at *start* (a naive UTC datetime): minutes and seconds kept."""
    import re
    from datetime import UTC, timedelta

    def shift(match):
        moved = start + timedelta(minutes=int(match[1]), seconds=int(match[2]))
        # Syslog stamps are local time, whatever TZ the test runs with.
        return moved.replace(tzinfo=UTC).astimezone().strftime("%b %d %H:%M:%S")

    return re.sub(r"^Dec 07 10:(\d\d):(\d\d)", shift, text(), flags=re.M)
