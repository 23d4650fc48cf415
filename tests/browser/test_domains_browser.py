"""A person creates a domain with an alias through the tabs, finds it, edits it, deletes it."""

import re

import pytest

from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, DomainAlias, User
from tests.browser.conftest import go, log_in
from tests.factories import make_domain

pytestmark = pytest.mark.browser


def test_domain_lifecycle(page, live_app):
    from playwright.sync_api import expect

    with live_app.app_context():
        make_domain("other.org")
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    log_in(page)
    page.wait_for_url("**/dashboard/")

    # Create: General tab, then Options tab, one submit (htmx, CSRF header from <body>).
    go(page, "text=Domains", "**/domains/")
    go(page, "#new-domain", "**/domains/new")
    page.fill("#general-name", "Browser-Test.org")
    page.fill("#general-quota", "1000")
    page.fill("#general-aliases", "browser-alias.org")
    page.click("#tab-options-btn")
    page.check("#options-create_admin")
    page.click("#create-domain")
    page.wait_for_url(re.compile(r"/domains/\d+$"))
    assert page.locator("h1").inner_text().startswith("browser-test.org")
    assert "Domain browser-test.org created." in page.content()
    assert "browser-alias.org" in page.locator("#domain-aliases").inner_text()
    assert "admin@browser-test.org" in page.locator("#domain-admins").inner_text()

    # Search as you type, by the alias name: the table and the address bar follow.
    go(page, "text=Domains", "**/domains/")
    expect(page.locator("tr[data-name='other.org']")).to_have_count(1)
    with page.expect_response(lambda r: "/domains/?q=browser-al" in r.url):
        page.fill("#domain-search", "browser-al")
    page.wait_for_url("**/domains/?q=browser-al*")
    expect(page.locator("tr[data-name='other.org']")).to_have_count(0)
    expect(page.locator("tr[data-name='browser-test.org']")).to_have_count(1)
    # The Export link came back with the table (out of band) and carries the search.
    assert page.locator("#domains-export").count() == 1
    assert "q=browser-al" in page.locator("#domains-export").get_attribute("href")

    # Edit: the General tab saves in place; the aliases tab adds another alias.
    go(page, "tr[data-name='browser-test.org'] >> text=Edit", re.compile(r"/domains/\d+/edit"))
    page.fill("#general-quota", "2000")
    page.click("#save-general")
    page.locator("#tab-general-body .alert-success").wait_for()
    page.click("#tab-aliases-btn")
    page.fill("#aliases-new", "second-alias.org")
    page.click("#save-aliases")
    page.locator("#tab-aliases-body .alert-success").wait_for()
    with live_app.app_context():
        domain = db.session.scalar(db.select(Domain).where(Domain.name == "browser-test.org"))
        assert domain.quota == 2000
        names = db.session.scalars(db.select(DomainAlias.name).order_by(DomainAlias.name))
        assert list(names) == ["browser-alias.org", "second-alias.org"]

    # Delete after the confirmation page.
    go(page, "text=Back to the domain", re.compile(r"/domains/\d+$"))
    go(page, "a.btn-outline-danger", re.compile(r"/domains/\d+/delete$"))
    page.click("#confirm-delete")
    page.wait_for_url("**/domains/")
    assert "Domain browser-test.org deleted." in page.content()
    assert page.locator("tr[data-name='browser-test.org']").count() == 0
    with live_app.app_context():
        assert db.session.scalar(db.select(Domain).where(Domain.name == "browser-test.org")) is None
        assert db.session.scalar(db.select(User).where(User.username.like("%browser-test%")))
    assert errors == []
