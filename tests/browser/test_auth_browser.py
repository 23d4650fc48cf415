"""In a real browser: no CSRF token or password in GET URLs, session expiry explained."""

from datetime import timedelta

import pytest

from modoboa_flask.extensions import db
from modoboa_flask.models import UserSession, utcnow
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_domain_type_change_posts_the_wizard(page, live_app):
    log_in(page)
    page.wait_for_url("**/dashboard/")
    page.goto("/domains/new")
    page.fill("#general-name", "kept.org")
    page.click("#tab-options-btn")
    page.check("#options-create_admin")
    page.fill("#options-admin_password", "Secret-1234")
    page.click("#tab-general-btn")
    with page.expect_response("**/domains/new") as answer:
        page.select_option("#general-type", "relaydomain")
    request = answer.value.request
    # The form (CSRF token, administrator password) travels in the body, not in the URL.
    assert request.method == "POST" and "?" not in request.url
    assert answer.value.status == 200
    page.locator("#general-type option[value='relaydomain'][selected]").wait_for(state="attached")
    assert page.input_value("#general-name") == "kept.org"


def test_idle_session_sends_the_browser_to_the_login_page(page, live_app):
    log_in(page)
    page.wait_for_url("**/dashboard/")
    with live_app.app_context():
        row = db.session.scalar(db.select(UserSession))
        row.last_seen = utcnow() - timedelta(hours=2)
        db.session.commit()
    page.goto("/domains/")
    page.wait_for_url("**/auth/login?next=**")
    assert "Your session has expired" in page.content()
