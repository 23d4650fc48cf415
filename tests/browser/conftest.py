"""Browser fixtures: the real pages served by a live server, driven by headless Chromium.

Tests wait for the element, URL or response that proves a behaviour, never for a fixed time.
Every wait gets TIMEOUT_MS: on a loaded 2-core machine a page that takes 50 ms alone can take
several seconds, and a generous limit costs nothing when the page is fast.
"""

import pytest

from tests.conftest import fresh_app
from tests.peers import browser

TIMEOUT_MS = 30_000


@pytest.fixture(scope="session", autouse=True)
def _generous_expect_timeout():
    """expect() has its own 5 s default, separate from the page's: raise it too."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
def live_app():
    """An app with CSRF on (as in production) on a fresh test database."""
    return fresh_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def live_server(live_app):
    """Serve `live_app` on a free port of 127.0.0.1."""
    with browser.LiveServer(live_app) as server:
        yield server


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser page; `page.base` is the live server's URL."""
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)  # clicks, fills, waits and navigations
    page = context.new_page()
    page.base = live_server.url
    yield page
    context.close()


def log_in(page, username="admin", password="password"):
    """Log in through the real login form; return once the server has answered the POST.

    Without waiting, a page.goto() right after would cancel the login POST in flight.
    """
    page.goto("/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_response(lambda r: r.request.method == "POST" and "/auth/login" in r.url):
        page.click("button[type=submit]")


def go(page, selector, url):
    """Click a link that loads a full page and wait until it has loaded (scripts included).

    Acting earlier types into a page whose htmx and Bootstrap are not initialised yet: the
    keystrokes or tab clicks are then lost and the test waits for something that never comes.
    """
    page.click(selector)
    page.wait_for_url(url)
