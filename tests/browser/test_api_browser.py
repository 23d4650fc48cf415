"""The API docs page renders offline under the strict CSP; the token page creates and revokes."""

import re

import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_docs_page_renders_offline(page):
    errors, outside = [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on(
        "request",
        lambda req: outside.append(req.url) if not req.url.startswith(page.base) else None,
    )
    page.goto("/docs/api/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "modoboa_flask API" in page.locator(".swagger-ui .info .title").inner_text()
    # Swagger UI renders the operations after the title: wait for the 22nd.
    page.locator(".opblock-summary-path").nth(21).wait_for()
    assert outside == [] and errors == []


def test_create_use_and_revoke_a_token(page, live_server):
    import urllib.error
    import urllib.request

    log_in(page)
    page.goto("/user/api/")
    page.fill("input[name=name]", "browser")
    page.click("text=Create token")
    key = page.locator("#new-token-key").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{40}", key)
    url = f"{page.base}/api/v1/domains/"
    request = urllib.request.Request(url, headers={"Authorization": f"Token {key}"})
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Revoke")
    page.wait_for_selector("text=No token yet.")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 401
