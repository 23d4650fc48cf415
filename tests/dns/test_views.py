"""The domain list's DNS badge, the DNS tab, "Check now" and the top-bar notification."""

import time
from datetime import timedelta

import pytest

from modoboa_flask.blueprints.dns import resolver, services
from modoboa_flask.extensions import db
from modoboa_flask.models import DomainCheck, utcnow
from tests import factories
from tests.conftest import fresh_app, log_client_in
from tests.peers.dns import SilentDnsServer

from .conftest import add_domain, dns_config

HX = {"HX-Request": "true"}


def store(domain_id, **statuses):
    """Store check results as a run two minutes ago would have."""
    for check, status in statuses.items():
        db.session.add(
            DomainCheck(
                domain_id=domain_id,
                check=check,
                status=status,
                message=f"{check} said {status}",
                record=f"; fix {check}",
                checked_at=utcnow() - timedelta(minutes=2),  # outside the Check-now limit
                alerted="",
            )
        )
    db.session.commit()


@pytest.fixture
def no_dns(monkeypatch):
    """Fail the test if anything builds a resolver (pages must only read stored results)."""

    def refuse(*args, **kwargs):
        raise AssertionError("a page made a DNS query")

    monkeypatch.setattr(resolver, "make_resolver", refuse)
    monkeypatch.setattr(services, "make_resolver", refuse)


def test_domain_list_badges_come_from_stored_results(app, login, no_dns):
    client = login()
    with app.app_context():
        bad = factories.make_domain("bad.org")
        warn = factories.make_domain("warn.org")
        good = factories.make_domain("fine.org")
        never = factories.make_domain("new.org")
        store(bad, mx="ok", dnsbl="error", spf="ok")
        store(warn, mx="ok", spf="warning", mta_sts="error")  # optional checks: not in the badge
        store(good, mx="ok", spf="ok", dkim="unknown", autoconfig="warning")
    page = client.get("/domains/").get_data(as_text=True)
    for domain_id, status, text in [
        (bad, "error", "DNS problems"), (warn, "warning", "DNS warnings"),
        (good, "ok", "DNS OK"), (never, "none", "Not checked"),
    ]:  # fmt: skip
        assert f'data-dns="{status}" href="/dns/domains/{domain_id}">{text}</a>' in page


def test_dns_tab_shows_each_check_and_the_records(app, login, no_dns):
    client = login()
    with app.app_context():
        domain_id = factories.make_domain("bad.org")
        store(domain_id, mx="error", spf="warning")
    detail = client.get(f"/domains/{domain_id}").get_data(as_text=True)
    assert f'hx-get="/dns/domains/{domain_id}"' in detail
    fragment = client.get(f"/dns/domains/{domain_id}", headers=HX)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html
    assert 'id="dns-mx" data-status="error"' in html and "dns-mx-hosts" not in html
    assert 'id="dns-spf" data-status="warning"' in html and "spf said warning" in html
    assert "; fix spf" in html and "Last checked" in html
    assert 'id="dns-dmarc" data-status="unknown"' in html and "Not checked yet." in html
    page = client.get(f"/dns/domains/{domain_id}")
    assert b"<html" in page.data and b"DNS of bad.org" in page.data


@pytest.mark.parametrize(
    ("role", "own", "status"),
    [("DomainAdmins", True, 200), ("DomainAdmins", False, 404), ("Resellers", False, 404),
     ("SimpleUsers", True, 403)],
)  # fmt: skip
def test_dns_pages_follow_domain_visibility(app, login, no_dns, role, own, status):
    with app.app_context():
        user_id = factories.make_user(role=role)
        domain_id = factories.make_domain("bad.org", admins=(user_id,) if own else ())
    client = login(user_id=user_id)
    assert client.get(f"/dns/domains/{domain_id}").status_code == status
    if status != 200:
        assert client.post(f"/dns/domains/{domain_id}/check").status_code == status


def test_check_now_swaps_in_the_result_and_is_limited_to_once_a_minute(dns_server, sink):
    app = fresh_app(**dns_config(dns_server.port, sink))
    with app.app_context():
        domain_id = add_domain("listed.org")
        admin = factories.make_user(role="SuperAdmins")
    client = log_client_in(app, app.test_client(), admin)
    response = client.post(f"/dns/domains/{domain_id}/check", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="dns-checked"' in html and 'data-status="error"' in html
    assert "127.0.0.2 on dnsbl-one.org (127.0.0.2)" in html
    again = client.post(f"/dns/domains/{domain_id}/check", headers=HX)
    assert again.status_code == 200  # htmx 2 drops 4xx bodies
    assert "checked less than 60 seconds ago" in again.get_data(as_text=True)
    assert client.post(f"/dns/domains/{domain_id}/check").status_code == 429


def test_check_now_needs_a_csrf_token(dns_server, sink):
    app = fresh_app(**dns_config(dns_server.port, sink, WTF_CSRF_ENABLED=True))
    with app.app_context():
        domain_id = add_domain("good.org")
        admin = factories.make_user(role="SuperAdmins")
    client = log_client_in(app, app.test_client(), admin)
    assert client.post(f"/dns/domains/{domain_id}/check", headers=HX).status_code == 400
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(DomainCheck.id))) == 0


def test_pages_render_with_the_dns_server_stopped(sink):
    with SilentDnsServer() as silent:
        port = silent.port
    app = fresh_app(**dns_config(port, sink))  # nothing listens there any more
    with app.app_context():
        domain_id = add_domain("good.org")
        store(domain_id, mx="ok", spf="ok")
        admin = factories.make_user(role="SuperAdmins")
    client = log_client_in(app, app.test_client(), admin)
    started = time.monotonic()
    for url in ("/domains/", f"/domains/{domain_id}", f"/dns/domains/{domain_id}"):
        assert client.get(url).status_code == 200
    assert time.monotonic() - started < 2
    response = client.post(f"/dns/domains/{domain_id}/check", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The DNS server did not answer: the last results are kept." in html
    assert 'id="dns-spf" data-status="ok"' in html and "spf said ok" in html


def test_top_bar_shows_dns_problems_to_the_domains_admins(app, login, no_dns):
    with app.app_context():
        admin_a = factories.make_user(role="DomainAdmins")
        admin_b = factories.make_user(role="DomainAdmins")
        bad = factories.make_domain("bad.org", admins=(admin_a,))
        fine = factories.make_domain("fine.org", admins=(admin_b,))
        store(bad, mx="error")
        store(fine, mx="ok", spf="warning")
    html = login(user_id=admin_a).get("/settings/notifications").get_data(as_text=True)
    assert 'id="notification-dns"' in html and "DNS problems" in html
    assert '<span class="badge text-bg-danger">1</span>' in html
    other = login(user_id=admin_b).get("/settings/notifications").get_data(as_text=True)
    assert "notification-dns" not in other


def test_check_now_refuses_while_the_same_domain_is_being_checked(dns_app):
    from modoboa_flask import locks

    with dns_app.app_context():
        domain_id = add_domain("good.org")
        admin = factories.make_user(role="SuperAdmins")
    client = log_client_in(dns_app, dns_app.test_client(), admin)
    with dns_app.app_context(), locks.exclusive(f"dns-check-{domain_id}") as held:
        assert held
        html = client.post(f"/dns/domains/{domain_id}/check", headers=HX).get_data(as_text=True)
    assert "good.org is being checked right now" in html
    with dns_app.app_context():
        assert db.session.scalar(db.select(db.func.count(DomainCheck.id))) == 0
