"""Pages, downloads and API answers are never stored by a browser or proxy; static files are."""

import pytest

from tests import factories


def test_authenticated_pages_and_downloads_are_not_stored(app, client, login):
    with app.app_context():
        factories.make_domain("example.org")
    login()
    for url in ["/dashboard/", "/domains/", "/identities/", "/imports/export/identities"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    fragment = client.get("/domains/?q=ex", headers={"HX-Request": "true"})
    assert fragment.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", ["/auth/login", "/nope", "/api/v1/domains/"])
def test_anonymous_answers_are_not_stored(client, url):
    # The login page carries a CSRF token; errors and API refusals are per request.
    assert client.get(url).headers["Cache-Control"] == "no-store"


def test_static_files_keep_caching(client):
    response = client.get("/static/js/app.js")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()
