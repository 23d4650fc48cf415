"""A person enables DKIM, copies the record, rotates and discards a key (CSRF on)."""

import pytest

from modoboa_flask.extensions import db
from modoboa_flask.models import Domain
from tests import factories
from tests.browser.conftest import TIMEOUT_MS, log_in
from tests.conftest import fresh_app
from tests.dkim.conftest import key_rows
from tests.peers import browser

pytestmark = pytest.mark.browser


@pytest.fixture
def dkim_live(tmp_path):
    """A live server writing keys to a temporary directory, with one domain."""
    app = fresh_app(WTF_CSRF_ENABLED=True, DKIM_KEYS_DIR=str(tmp_path / "keys"))
    with app.app_context():
        domain_id = factories.make_domain("browser.org")
    with browser.LiveServer(app) as server:
        yield app, server, domain_id


def test_enable_copy_rotate_and_discard(chromium, dkim_live):
    app, server, domain_id = dkim_live
    context = chromium.new_context(base_url=server.url)
    context.set_default_timeout(TIMEOUT_MS)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    errors, dialogs = [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    try:
        log_in(page)
        page.wait_for_url("**/dashboard/")
        page.goto(f"/domains/{domain_id}")
        page.wait_for_selector("#dkim-status[data-enabled='no']")
        page.select_option("#dkim-key-length", "1024")
        with page.expect_response(f"**/dkim/domains/{domain_id}/settings") as answer:
            page.click("#dkim-enable")
        assert answer.value.status == 200
        page.wait_for_selector("#dkim-key-modoboa[data-state='pending']")
        record = page.locator("#dkim-record-1").inner_text()
        assert record.startswith('modoboa._domainkey.browser.org. IN TXT ( "v=DKIM1; k=rsa; p=')

        page.click("#dkim-key-modoboa button[data-copy]")
        page.wait_for_selector("#dkim-key-modoboa button[data-copy]:has-text('Copied')")
        assert page.evaluate("navigator.clipboard.readText()") == record

        # The DNS check saw it (the BIND tests do that for real): it signs now.
        with app.app_context():
            from modoboa_flask.blueprints.dkim import services

            (key,) = key_rows(domain_id)
            key.published = True
            services._activate(db.session.get(Domain, domain_id), key)
            db.session.commit()
        page.reload()
        page.wait_for_selector("#dkim-key-modoboa[data-state='active']")
        page.fill("#dkim-new-selector", "next")
        page.select_option("#dkim-new-length", "1024")
        # The confirmation box is required: the browser does not send the form without it.
        page.click("#dkim-generate")
        page.wait_for_selector("#dkim-confirm:invalid")
        page.check("#dkim-confirm")
        with page.expect_response(f"**/dkim/domains/{domain_id}/generate"):
            page.click("#dkim-generate")
        page.wait_for_selector("#dkim-key-next[data-state='pending']")
        assert page.locator("#dkim-activate-next").is_disabled()

        with page.expect_response("**/retire"):
            page.click("#dkim-retire-next")
        page.wait_for_selector("#dkim-message")
        assert page.locator("#dkim-key-next").count() == 0
        assert dialogs == ["Discard the key of selector next? Its private key is deleted."]
        with app.app_context():
            assert [k.state for k in key_rows(domain_id)] == ["active", "retired"]
        assert errors == []
    finally:
        context.close()
