"""The parameters page's LDAP *Test connection* button, in Chromium, against a real slapd."""

from tests.browser.conftest import log_in
from tests.ldap_directory import directory


def test_test_connection_reports_each_step(page):
    from playwright.sync_api import expect

    with directory() as server:
        log_in(page)
        page.wait_for_url("**/dashboard/")
        page.goto("/settings/parameters")
        button = page.locator("#ldap-check")
        expect(button).to_be_hidden()
        page.select_option("#core-authentication_type", "ldap")
        expect(button).to_be_visible()
        page.fill("#core-ldap_server_address", "127.0.0.1")
        page.fill("#core-ldap_server_port", str(server.port))
        page.fill("#core-ldap_bind_dn", "cn=admin,dc=example,dc=com")
        page.fill("#core-ldap_bind_password", "secret")
        page.fill("#core-ldap_search_base", "ou=users,dc=example,dc=com")
        page.fill("#ldap-check-user", "alice@example.com")
        with page.expect_response(lambda r: r.url.endswith("/settings/parameters/ldap-check")):
            button.click()
        result = page.locator("#ldap-check-result")
        expect(result.locator('[data-step="Search"][data-ok="yes"]')).to_have_count(1)
        expect(result).to_contain_text("found uid=alice,ou=users,dc=example,dc=com")
        expect(result.locator('[data-step="Bind"][data-ok="yes"]')).to_have_count(1)
        # A wrong bind password is reported in plain words, nothing saved meanwhile.
        page.fill("#core-ldap_bind_password", "wrong")
        with page.expect_response(lambda r: r.url.endswith("/settings/parameters/ldap-check")):
            button.click()
        expect(result.locator('[data-step="Bind"][data-ok="no"]')).to_have_count(1)
        expect(result).to_contain_text("The server refused the bind DN")
