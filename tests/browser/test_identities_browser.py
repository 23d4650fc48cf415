"""In Chromium with CSRF on: create an account with a mailbox and two aliases through the tabs,
find it by search, change its quota, then log in as it and set a forward."""

import re

import pytest
from sqlalchemy import select

from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, User
from tests import factories
from tests.browser.conftest import go, log_in

pytestmark = pytest.mark.browser


def test_account_lifecycle_in_the_browser(page, live_app):
    from playwright.sync_api import expect

    with live_app.app_context():
        factories.make_domain("test.com", quota=0, default_mailbox_quota=100)
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page)
    page.wait_for_url("**/dashboard/")
    go(page, "text=Identities", "**/identities/")
    go(page, "#new-account", re.compile(r"/identities/accounts/new"))
    page.fill("input[name=general-username]", "Alice@test.com")
    page.fill("input[name=general-first_name]", "Alice")
    page.fill("input[name=general-password]", "Secret1234")
    page.fill("input[name=general-password2]", "Secret1234")
    page.click("#tab-mail-btn")
    page.fill("textarea[name=mail-aliases]", "a1@test.com\na2@test.com")
    page.click("#create-account")
    page.wait_for_url(re.compile(r".*/identities/accounts/\d+$"))
    assert "alice@test.com" in page.locator("h1").inner_text()

    page.goto("/identities/")
    page.fill("input[name=q]", "alic")
    row = page.locator("#identities tbody tr")
    expect(row).to_have_count(1)  # the CSP forbids wait_for_function's eval
    assert "alice@test.com" in row.inner_text() and "Alice" in row.inner_text()
    expect(page).to_have_url(re.compile(r"q=alic"))  # htmx pushes the URL after the swap

    row.locator("a", has_text="alice@test.com").click()
    page.wait_for_url(re.compile(r".*/identities/accounts/\d+$"))
    page.click("#tab-mail-btn")
    page.uncheck("input[name=mail-use_domain_quota]")
    page.fill("input[name=mail-quota]", "250")
    page.click("#form-mail button[type=submit]")
    page.locator("#form-mail .alert-success").wait_for()
    assert page.locator("textarea[name=mail-aliases]").input_value() == "a1@test.com\na2@test.com"

    page.click("#user-menu")
    go(page, "text=Log out", "**/auth/login")
    log_in(page, "alice@test.com", "Secret1234")
    page.goto("/user/forward")
    page.fill("textarea[name=destinations]", "alice@elsewhere.org")
    page.check("input[name=keep_copy]")
    page.click("#forward-form button[type=submit]")
    page.locator("#forward-form .alert-success").wait_for()
    page.fill("textarea[name=destinations]", "bob@test.com")
    page.click("#forward-form button[type=submit]")
    page.locator("#forward-form .invalid-feedback").wait_for()
    assert "ask your administrator" in page.locator("#forward-form .invalid-feedback").inner_text()
    assert errors == []

    with live_app.app_context():
        alice = db.session.scalar(select(User).where(User.username == "alice@test.com"))
        assert alice.mailbox.quota == 250 and not alice.mailbox.use_domain_quota
        public = db.session.scalars(
            select(Alias).where(Alias.internal.is_(False)).order_by(Alias.address)
        ).all()
        assert [a.address for a in public] == ["a1@test.com", "a2@test.com", "alice@test.com"]
        assert sorted(r.address for r in public[2].recipients) == [
            "alice@elsewhere.org",
            "alice@test.com",
        ]
