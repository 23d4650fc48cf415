"""`flask check-mx`: domain selection, the MX cache, alerts on change, the lock, timeouts."""

import threading
import time
from datetime import timedelta

from modoboa_flask import locks
from modoboa_flask.blueprints.dns import services
from modoboa_flask.extensions import db
from modoboa_flask.models import DNSBLResult, DomainCheck, MXRecord, utcnow
from tests.conftest import fresh_app
from tests.peers.dns import SilentDnsServer

from .conftest import add_domain, dns_config, mails, set_param


def check_mx(app, *args):
    """Run `flask check-mx ARGS` and return the click result."""
    return app.test_cli_runner().invoke(args=["check-mx", *args])


def mx_ids(app):
    """The cached MX rows as (id, expiry): a refreshed row gets a new expiry."""
    with app.app_context():
        return sorted(db.session.execute(db.select(MXRecord.id, MXRecord.updated)).all())


def statuses(app, domain_id):
    with app.app_context():
        rows = db.session.scalars(db.select(DomainCheck).where(DomainCheck.domain_id == domain_id))
        return {r.check: r.status for r in rows}


def test_checks_enabled_domains_and_skips_reserved_and_disabled(dns_app):
    with dns_app.app_context():
        good = add_domain("good.org")
        reserved = add_domain("shop.test")
        disabled = add_domain("listed.org", enabled=False)
    result = check_mx(dns_app)
    assert result.exit_code == 0, result.output
    assert "good.org: ok" in result.output
    assert "shop.test" not in result.output and "listed.org" not in result.output
    assert statuses(dns_app, good)["mx"] == "ok"
    assert statuses(dns_app, reserved) == {} and statuses(dns_app, disabled) == {}


def test_domain_option_by_name_or_id_and_unknown_names(dns_app):
    with dns_app.app_context():
        good = add_domain("good.org")
        listed = add_domain("listed.org", enabled=False)
    with dns_app.app_context():
        add_domain("shop.test")
    args = ["--domain", str(listed), "--domain", "pouet.com", "--domain", "shop.test"]
    result = check_mx(dns_app, *args)
    assert result.exit_code == 0, result.output
    assert "Skipped pouet.com: no such domain" in result.output
    assert "Skipped shop.test: reserved name, never checked" in result.output
    assert "listed.org: error" in result.output  # named explicitly: checked although disabled
    assert statuses(dns_app, good) == {}


def test_no_dnsbl_stores_no_dnsbl_result(dns_app):
    with dns_app.app_context():
        add_domain("listed.org")
    assert check_mx(dns_app, "--no-dnsbl").exit_code == 0
    with dns_app.app_context():
        assert db.session.scalar(db.select(db.func.count(DNSBLResult.id))) == 0
        assert db.session.scalar(db.select(db.func.count(MXRecord.id))) == 1


def test_mx_records_are_cached_until_their_ttl(dns_app):
    with dns_app.app_context():
        add_domain("good.org")
    check_mx(dns_app)
    first = mx_ids(dns_app)
    with dns_app.app_context():
        expiry = db.session.scalar(db.select(MXRecord.updated))
    # The zone's TTL is 60 s: the row expires then, and the next run reuses it.
    assert timedelta(seconds=55) < expiry - utcnow() <= timedelta(seconds=60)
    check_mx(dns_app)
    assert mx_ids(dns_app) == first
    check_mx(dns_app, "--ttl", "0")  # 0 = resolve again now
    refreshed = mx_ids(dns_app)
    assert refreshed != first and len(refreshed) == 1
    check_mx(dns_app, "--ttl", "7200")
    with dns_app.app_context():
        expiry = db.session.scalar(db.select(MXRecord.updated))
    assert expiry - utcnow() > timedelta(seconds=7000)
    with dns_app.app_context():  # expired rows are resolved again
        db.session.execute(db.update(MXRecord).values(updated=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    check_mx(dns_app)
    assert mx_ids(dns_app) != refreshed


def test_alert_on_change_only(dns_app, sink):
    with dns_app.app_context():
        add_domain("listed.org", admin_email="boss@listed.org")
        set_param("core.sender_address", "dns@good.org")
    assert check_mx(dns_app, "--email", "ops@good.org").exit_code == 0
    assert len(mails(sink)) == 1  # a first check that finds a problem is a change
    envelope, message = mails(sink)[0]
    assert envelope.sender == "dns@good.org"
    assert sorted(envelope.recipients) == ["boss@listed.org", "ops@good.org"]
    assert message["Subject"] == "[modoboa] DNS issue(s) for domain listed.org"
    assert message["Auto-Submitted"] == "auto-generated"
    assert "127.0.0.2 (mx.listed.org) on dnsbl-one.org: 127.0.0.2" in message.get_content()
    # Same state: no second alert.
    assert check_mx(dns_app, "--email", "ops@good.org", "--ttl", "0").exit_code == 0
    assert len(mails(sink)) == 1
    # A new problem (the MX leaves valid_mxs) is mailed, to --email only when asked.
    with dns_app.app_context():
        set_param("admin.valid_mxs", "192.0.2.0/24")
    result = check_mx(dns_app, "--email", "ops@good.org", "--skip-admin-emails", "--ttl", "0")
    assert result.exit_code == 0, result.output
    assert len(mails(sink)) == 2 and mails(sink)[1][0].recipients == ["ops@good.org"]
    body = mails(sink)[1][1].get_content()
    assert "MX record for domain listed.org is invalid" in body
    assert "DNS blocklists" not in body  # unchanged: not repeated
    # Back to a good state: one "resolved" mail.
    with dns_app.app_context():
        set_param("admin.valid_mxs", "")
    check_mx(dns_app, "--email", "ops@good.org", "--ttl", "0")
    assert len(mails(sink)) == 3 and "MX records: resolved" in mails(sink)[2][1].get_content()


def test_a_healthy_domain_sends_nothing(dns_app, sink):
    with dns_app.app_context():
        add_domain("good.org", admin_email="boss@good.org")
    assert check_mx(dns_app).exit_code == 0
    assert mails(sink) == []


def test_smtp_relay_settings_and_failure_retry(dns_server, sink):
    app = fresh_app(**dns_config(dns_server.port, sink, SMTP_USER="relay", SMTP_PASSWORD="pw"))
    with app.app_context():
        add_domain("nomx.org", admin_email="boss@nomx.org")
    app.config["SMTP_PORT"] = 1  # nothing listens there
    result = check_mx(app)
    assert result.exit_code == 1 and "Cannot send mail through 127.0.0.1:1" in result.output
    assert "1 alert(s) could not be sent" in result.output
    # Not marked as sent: the next run (relay back) sends it.
    app.config["SMTP_PORT"] = sink.port
    assert check_mx(app).exit_code == 0
    assert len(mails(sink)) == 1 and sink.state.logins == [("relay", "pw")]


def test_a_run_holding_the_database_lock_keeps_a_second_one_out(dns_app):
    with dns_app.app_context():
        add_domain("good.org")
    with dns_app.app_context(), locks.exclusive("check-mx") as held:
        assert held
        result = check_mx(dns_app)
    assert result.exit_code == 1 and "Another check-mx run is in progress" in result.output
    assert mx_ids(dns_app) == []
    assert check_mx(dns_app).exit_code == 0  # released with the first run
    assert len(mx_ids(dns_app)) == 1


def test_a_dns_server_that_never_answers(dns_server, sink):
    with SilentDnsServer() as silent:
        app = fresh_app(**dns_config(dns_server.port, sink))
        with app.app_context():
            domain_id = add_domain("listed.org", admin_email="boss@listed.org")
        assert check_mx(app).exit_code == 0
        assert statuses(app, domain_id)["dnsbl"] == "error"
        assert len(mails(sink)) == 1
        app.config["DNS_RESOLVERS"] = f"127.0.0.1:{silent.port}"
        started = time.monotonic()
        result = check_mx(app, "--timeout", "0.5", "--ttl", "0")
        elapsed = time.monotonic() - started
        assert result.exit_code == 0, result.output
        assert elapsed < 5  # one probe times out; the other checks are not attempted
        # No answer says nothing about the records: the last known state stays, no alert.
        assert statuses(app, domain_id)["dnsbl"] == "error"
        assert len(mails(sink)) == 1
        with app.app_context():
            other = add_domain("good.org")
        check_mx(app, "--timeout", "0.3", "--domain", "good.org")
        assert set(statuses(app, other).values()) == {"unknown"}


def test_dnsbl_lookups_run_concurrently_within_a_bound(dns_server, sink, monkeypatch):
    providers = ",".join(f"bl{i}.org" for i in range(12))
    config = dns_config(dns_server.port, sink, DNS_CONCURRENCY=3, DNSBL_PROVIDERS=providers)
    app = fresh_app(**config)
    in_flight, peak, lock = [0], [0], threading.Lock()

    def slow_listed(lookup, address, provider):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.2 if provider != "bl11.org" else 5)  # one provider never answers in time
        with lock:
            in_flight[0] -= 1
        return ""

    monkeypatch.setattr(services, "_listed", slow_listed)
    with app.app_context():
        domain_id = add_domain("good.org")
    started = time.monotonic()
    assert check_mx(app, "--timeout", "1").exit_code == 0
    assert time.monotonic() - started < 4  # bounded by 2 x timeout, not by the slow provider
    assert peak[0] == 3
    with app.app_context():
        rows = db.session.scalars(db.select(DNSBLResult.provider)).all()
        check = db.session.scalar(db.select(DomainCheck).where(DomainCheck.check == "dnsbl"))
    assert len(rows) == 11 and "bl11.org" not in rows
    assert check.status == "ok" and "1 of 12 lookups got no answer in time" in check.message
    assert statuses(app, domain_id)["mx"] == "ok"


def test_providers_no_longer_configured_are_pruned(dns_app):
    with dns_app.app_context():
        add_domain("good.org")
    check_mx(dns_app)
    dns_app.config["DNSBL_PROVIDERS"] = "dnsbl-two.org"
    check_mx(dns_app)
    with dns_app.app_context():
        assert db.session.scalars(db.select(DNSBLResult.provider)).all() == ["dnsbl-two.org"]


def test_disabling_dnsbl_checks_clears_a_stale_listing_and_no_dnsbl_keeps_it(dns_app):
    with dns_app.app_context():
        domain_id = add_domain("listed.org")
    check_mx(dns_app)
    assert statuses(dns_app, domain_id)["dnsbl"] == "error"
    check_mx(dns_app, "--no-dnsbl")  # this run does not look: the last state stands
    assert statuses(dns_app, domain_id)["dnsbl"] == "error"
    with dns_app.app_context():
        set_param("admin.enable_dnsbl_checks", "no")
    check_mx(dns_app)
    assert statuses(dns_app, domain_id)["dnsbl"] == "unknown"
