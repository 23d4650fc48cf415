"""During a database outage an htmx request gets a 503, which htmx does not swap: the page
shows the notice in its flash region instead of doing nothing."""

import pytest

from tests.browser.conftest import log_in
from tests.conftest import make_app
from tests.peers import free_port
from tests.test_outage import UNREACHABLE

pytestmark = pytest.mark.browser


def _outage_fragment():
    """What the server answers to an htmx request while its database is down."""
    down = make_app(DATABASE_URL=UNREACHABLE["postgresql"].format(port=free_port()))
    client = down.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = "a-session-key"
    response = client.get("/domains/?q=x", headers={"HX-Request": "true"})
    assert response.status_code == 503
    return response


def test_an_htmx_request_during_an_outage_shows_the_notice(page):
    from playwright.sync_api import expect

    answer = _outage_fragment()
    log_in(page)
    page.goto("/domains/")
    # The database "goes away" for the search requests only: the page itself loaded.
    page.route(
        "**/domains/?q=*",
        lambda route: route.fulfill(
            status=503, body=answer.get_data(), headers=dict(answer.headers)
        ),
    )
    notice = page.locator("#flashes [data-error-code='503']")
    with page.expect_response(lambda r: r.status == 503):
        page.fill("#domain-search", "abc")
    expect(notice).to_have_text(
        "The service is temporarily unavailable. Please try again in a moment."
    )
    with page.expect_response(lambda r: r.status == 503):
        page.fill("#domain-search", "abcd")
    expect(notice).to_have_count(1)  # one notice, however many requests failed
