"""A person opens a domain, sees its DNS tab load, and runs "Check now" (CSRF on, real BIND)."""

import pytest

from tests.browser.conftest import log_in
from tests.conftest import fresh_app
from tests.dns import conftest as dns_fixtures
from tests.dns.conftest import add_domain, dns_config
from tests.peers import browser

pytestmark = pytest.mark.browser
# The DNS tests' BIND and SMTP sink, shared with this module.
dns_server, sink = dns_fixtures.dns_server, dns_fixtures.sink


@pytest.fixture
def dns_live(dns_server, sink):
    """A live server whose app resolves through the test BIND."""
    app = fresh_app(WTF_CSRF_ENABLED=True, **dns_config(dns_server.port, sink))
    with app.app_context():
        domain_id = add_domain("listed.org")
    with browser.LiveServer(app) as server:
        yield server, domain_id


def test_check_now_swaps_in_the_results(chromium, dns_live):
    server, domain_id = dns_live
    context = chromium.new_context(base_url=server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        log_in(page)
        page.wait_for_url("**/dashboard/")
        page.goto(f"/domains/{domain_id}")
        # The tab is loaded after the page from stored results: never checked yet.
        page.wait_for_selector("#dns-status[data-status='none']")
        with page.expect_response(f"**/dns/domains/{domain_id}/check") as answer:
            page.click("#dns-check-now")
        assert answer.value.status == 200
        page.wait_for_selector("#dns-checked")
        assert page.locator("#dns-status").get_attribute("data-status") == "error"
        assert "dnsbl-one.org" in page.locator("#dns-listed").inner_text()
        assert page.locator("#dns-spf").get_attribute("data-status") == "error"
        # A second click within the minute is refused in place.
        page.click("#dns-check-now")
        page.wait_for_selector("#dns-error")
        assert "less than 60 seconds ago" in page.locator("#dns-error").inner_text()
        # The list shows the stored badge.
        page.goto("/domains/")
        assert page.locator(f"#domain-{domain_id} [data-dns]").inner_text() == "DNS problems"
        assert errors == []
    finally:
        context.close()
