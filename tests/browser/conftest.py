"""Browser fixtures: the real pages served by a live server, driven by headless Chromium."""

import pytest

from tests.conftest import fresh_app
from tests.peers import browser


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
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.base = live_server.url
    yield page
    context.close()


def log_in(page, username="admin", password="password"):
    """Log in through the real login form."""
    page.goto("/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
