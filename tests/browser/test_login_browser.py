"""A person logs in as admin, sees the dashboard and logs out, in headless Chromium."""

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_login_dashboard_logout(page):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page)
    page.wait_for_url("**/dashboard/")
    assert page.locator("h1").inner_text() == "Dashboard"
    assert page.locator("[data-counter=domains]").inner_text() == "0"
    page.click("#user-menu")
    page.click("text=Log out")
    page.wait_for_url("**/auth/login")
    assert "You have been logged out." in page.content()
    page.goto("/dashboard/")
    assert "/auth/login" in page.url
    # No CSP violation or script error on any page we went through.
    assert errors == []


def test_wrong_password_shows_message(page):
    log_in(page, password="wrong")
    assert "didn't match" in page.locator(".alert-danger").inner_text()
