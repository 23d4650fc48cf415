"""Counting into the database: buckets, cursors, rotation, partial lines, the command."""

import gzip
import os
import shutil
from datetime import timedelta

from sqlalchemy import func, select

from modoboa_flask import params
from modoboa_flask.accounts import first_superuser
from modoboa_flask.blueprints.domains.services import delete_domain
from modoboa_flask.blueprints.identities.services import delete_account
from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, User
from modoboa_flask.models.stats import LogCursor, MessageLog, PendingMessage, TrafficCounter
from modoboa_flask.stats import store
from tests.stats import fixtures
from tests.stats.world import NOW, make_world, parse, totals

EXAMPLE = {"sent": 1, "received": 1, "bounced": 1, "rejected": 1, "deferred": 1,
           "size_sent": 800, "size_received": 1200}  # fmt: skip


def test_counters_per_domain_account_and_granularity(app, tmp_path):
    log = tmp_path / "mail.log"
    log.write_text(fixtures.text())
    with app.app_context():
        ids = make_world()
        summary = parse(log)
        assert (summary.files, summary.lines, summary.events) == (1, len(fixtures.LINES), 7)
        for granularity in (300, 3600, 86400):
            assert totals(ids["example"], granularity=granularity) == EXAMPLE
        assert totals(ids["other"])["received"] == 1 and totals(ids["other"])["sent"] == 0
        # The account: its own mail (the NOQUEUE reject was for unknown@, not for it).
        assert totals(user_id=ids["user"]) == {**EXAMPLE, "rejected": 0}
        hourly = db.session.scalars(
            select(TrafficCounter.start)
            .where(TrafficCounter.granularity == 3600, TrafficCounter.user_id.is_(None))
            .distinct()
        ).all()
        assert {s.hour for s in hourly} == {10}


def test_a_second_run_counts_nothing_twice_and_continues_where_it_stopped(app, tmp_path):
    log = tmp_path / "mail.log"
    log.write_text(fixtures.text(fixtures.LINES[:8]))  # stops after the first deferral
    with app.app_context():
        ids = make_world()
        parse(log)
        assert db.session.get(PendingMessage, "4D5E6F").sender == "user@example.com"
        parse(log)
        assert totals(ids["example"])["deferred"] == 1
        with log.open("a") as out:
            out.write(fixtures.text(fixtures.LINES[8:]))
        assert parse(log).lines == len(fixtures.LINES) - 8
        assert totals(ids["example"]) == EXAMPLE  # sender known from the pending row
        assert db.session.scalar(select(func.count()).select_from(PendingMessage)) == 0


def test_a_partial_last_line_waits_for_its_end(app, tmp_path):
    log = tmp_path / "mail.log"
    body = fixtures.text()
    cut = body.index("status=sent (250 2.0.0 <user@example.com>")
    log.write_text(body[:cut])
    with app.app_context():
        ids = make_world()
        parse(log)
        assert totals(ids["example"])["received"] == 0
        log.write_text(body)
        parse(log)
        assert totals(ids["example"]) == EXAMPLE


def test_rotation_by_rename_then_compression_never_recounts(app, tmp_path):
    log = tmp_path / "mail.log"
    log.write_text(fixtures.text(fixtures.LINES[:10]))
    with app.app_context():
        ids = make_world()
        parse(log)
        # logrotate: the old file gains its last lines, is renamed, and a new one starts.
        with log.open("a") as out:
            out.write(fixtures.text(fixtures.LINES[10:14]))
        os.rename(log, tmp_path / "mail.log.1")
        log.write_text(fixtures.text(fixtures.LINES[14:]))
        parse(log)  # finishes mail.log.1 (it has a cursor), then reads the new file
        assert totals(ids["example"]) == EXAMPLE
        # Later the rotated file is compressed; naming it explicitly re-reads nothing.
        with (
            open(tmp_path / "mail.log.1", "rb") as src,
            gzip.open(tmp_path / "mail.log.2.gz", "wb") as dst,
        ):
            shutil.copyfileobj(src, dst)
        os.remove(tmp_path / "mail.log.1")
        assert parse(tmp_path / "mail.log.2.gz", log).events == 0
        assert totals(ids["example"]) == EXAMPLE


def test_an_old_gz_file_is_read_once(app, tmp_path):
    archive = tmp_path / "mail.log.3.gz"
    with gzip.open(archive, "wt") as out:
        out.write(fixtures.text())
    with app.app_context():
        ids = make_world()
        parse(archive)
        parse(archive)
        assert totals(ids["example"]) == EXAMPLE
        assert db.session.scalar(select(LogCursor.path)) == str(archive)


def test_a_truncated_file_starts_over(app, tmp_path):
    log = tmp_path / "mail.log"
    log.write_text(fixtures.text(fixtures.LINES[:6]))
    with app.app_context():
        ids = make_world()
        parse(log)
        log.write_text(fixtures.text(fixtures.LINES[6:]))  # copytruncate, then new lines
        parse(log)
        assert totals(ids["example"]) == EXAMPLE


def _export_record(fields: dict) -> bytes:
    out = b""
    for name, value in fields.items():
        raw = value.encode()
        if "\n" in value:  # the export's binary form: name, length, data
            out += name.encode() + b"\n" + len(raw).to_bytes(8, "little") + raw + b"\n"
        else:
            out += f"{name}={value}\n".encode()
    return out + b"\n"


def test_journal_export_is_parsed_record_by_record(app, tmp_path):
    records = []
    for n, line in enumerate(fixtures.LINES):
        head, _, message = line[16:].partition(": ")
        program = head.split()[1].split("[")[0]
        stamp = int(NOW.replace(hour=int(line[7:9]), minute=int(line[10:12]),
                                second=int(line[13:15])).timestamp() * 1_000_000)  # fmt: skip
        fields = {"__CURSOR": f"s=1;i={n}", "__REALTIME_TIMESTAMP": str(stamp),
                  "SYSLOG_IDENTIFIER": program, "MESSAGE": message}  # fmt: skip
        records.append(_export_record(fields))
    kernel = {"__CURSOR": "s=1;i=x", "SYSLOG_IDENTIFIER": "kernel",
              "__REALTIME_TIMESTAMP": "1", "MESSAGE": "multi\nline"}  # fmt: skip
    records.append(_export_record(kernel))
    export = tmp_path / "journal.export"
    export.write_bytes(b"".join(records) + b"__CURSOR=partial\n")
    with app.app_context():
        ids = make_world()
        assert parse(export).events == 7
        assert totals(ids["example"]) == EXAMPLE


def test_message_index_rows_and_retention(app, tmp_path):
    log = tmp_path / "mail.log"
    log.write_text(fixtures.text())
    with app.app_context():
        ids = make_world()
        parse(log)
        rows = db.session.scalars(select(MessageLog).order_by(MessageLog.id)).all()
        assert [r.status for r in rows] == ["sent", "deferred", "deferred", "sent", "bounced",
                                            "rejected", "sent"]  # fmt: skip
        assert rows[0].recipient_domain_id == ids["example"] and rows[0].sender_domain_id is None
        assert rows[6].recipient_domain_id == ids["other"]
        params.set("stats.message_index_days", "0")
        db.session.commit()
        log.write_text(fixtures.text())  # same first line: nothing new
        parse(log)
        assert db.session.scalar(select(func.count()).select_from(MessageLog)) == 0


def test_command_reads_the_parameter_file_and_reports(app, runner, tmp_path):
    log = tmp_path / "mail.log"
    log.write_text(fixtures.text())
    with app.app_context():
        make_world()
        params.set("stats.logfile", str(log))
        db.session.commit()
    result = runner.invoke(args=["parse-maillog"])
    assert result.exit_code == 0, result.output
    assert f"{len(fixtures.LINES)} line(s) read from 1 file(s)" in result.output
    missing = runner.invoke(args=["parse-maillog", "--file", str(tmp_path / "nope.log")])
    assert missing.exit_code == 1 and "No log file could be read" in missing.output


def test_a_backlog_writes_only_what_retention_keeps(app, tmp_path):
    log = tmp_path / "mail.log"
    log.write_text(fixtures.text())
    with app.app_context():
        ids = make_world()
        store.parse_logs([str(log)], now=NOW + timedelta(days=70))
        kept = db.session.scalars(select(TrafficCounter.granularity).distinct()).all()
        assert kept == [86400]  # 5-minute rows live 3 days, hourly ones 62...
        assert totals(ids["example"]) == EXAMPLE  # ... the daily ones stay
        assert db.session.scalar(select(func.count()).select_from(MessageLog)) == 0  # 30 days


def test_a_message_queued_past_postfix_lifetime_is_forgotten(app, tmp_path):
    log = tmp_path / "mail.log"
    log.write_text(fixtures.text(fixtures.LINES[:8]))  # 4D5E6F queued, deferred, not removed
    with app.app_context():
        make_world()
        parse(log)
        assert db.session.get(PendingMessage, "4D5E6F") is not None
        store.parse_logs([str(log)], now=NOW + timedelta(days=8))
        assert db.session.get(PendingMessage, "4D5E6F") is None


def test_follow_reads_again_until_interrupted(app, runner, tmp_path, monkeypatch):
    log = tmp_path / "mail.log"
    log.write_text(fixtures.text(fixtures.LINES[:6]))
    naps = []

    def nap(seconds):
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt
        with log.open("a") as out:  # Postfix logs more while the command waits
            out.write(fixtures.text(fixtures.LINES[6:]))

    monkeypatch.setattr("modoboa_flask.blueprints.stats.cli.time.sleep", nap)
    with app.app_context():
        ids = make_world()
    result = runner.invoke(
        args=["parse-maillog", "--file", str(log), "--follow", "--interval", "1"]
    )
    assert result.exit_code == 0, result.output
    assert naps == [1.0, 1.0]
    with app.app_context():
        assert totals(ids["example"])["bounced"] == 1


def test_deleting_a_domain_or_account_takes_its_counters_and_unscopes_its_index(app, tmp_path):
    log = tmp_path / "mail.log"
    log.write_text(fixtures.text())
    with app.app_context():
        ids = make_world()
        parse(log)
        delete_account(first_superuser(), db.session.get(User, ids["user"]))
        db.session.commit()
        assert totals(user_id=ids["user"])["received"] == 0
        assert totals(ids["example"]) == EXAMPLE
        delete_domain(first_superuser(), db.session.get(Domain, ids["example"]))
        db.session.commit()
        assert totals(ids["example"])["received"] == 0
        rows = db.session.scalars(select(MessageLog).where(MessageLog.queue_id == "1A2B3C")).all()
        assert [row.recipient_domain_id for row in rows] == [None]
