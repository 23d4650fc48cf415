"""The base UI: layout, menus by role, error pages, htmx wiring."""

import re

import pytest

from modoboa_flask.permissions import require
from tests import factories


def test_layout_loads_vendored_assets_only(login):
    html = login().get("/dashboard/").get_data(as_text=True)
    assert "/static/vendor/htmx-2.0." in html
    assert "/static/vendor/bootstrap-5." in html
    assert "http://" not in html and "https://" not in html  # no CDN, no external asset
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


def test_vendored_files_are_served(client):
    html = client.get("/auth/login").get_data(as_text=True)
    for path in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize(
    "role, visible, hidden",
    [
        ("SuperAdmins", ["Dashboard"], []),
        ("DomainAdmins", ["Dashboard"], [">Modoboa</a></li>"]),
        ("SimpleUsers", ["Settings"], ["Dashboard"]),
    ],
)
def test_menu_by_role(login, role, visible, hidden):
    html = login(role=role).get("/user/").get_data(as_text=True)
    for text in visible:
        assert text in html
    for text in hidden:
        assert text not in html


def test_root_redirects_by_role(login):
    assert login().get("/").headers["Location"].endswith("/dashboard/")


def test_simple_user_root_goes_to_settings(login):
    assert login(role="SimpleUsers").get("/").headers["Location"].endswith("/user/")


def test_dashboard_counts_only_visible_objects(app, login):
    with app.app_context():
        admin = factories.make_user(role="DomainAdmins")
        mine = factories.make_domain("mine.test", admins=[admin])
        factories.make_domain("other.test")
        factories.make_mailbox(mine, "a")
    html = login(user_id=admin).get("/dashboard/").get_data(as_text=True)
    assert 'data-counter="domains">1<' in html
    assert 'data-counter="mailboxes">1<' in html


def test_404_page_fits_layout(login):
    response = login().get("/no/such/page")
    assert response.status_code == 404
    assert b"<html" in response.data and b"does not exist" in response.data


def test_403_page_for_simple_user_on_dashboard(login):
    response = login(role="SimpleUsers").get("/dashboard/")
    assert response.status_code == 403
    assert b"not allowed" in response.data and b"navbar" in response.data


def test_htmx_errors_are_fragments(login):
    response = login().get("/no/such/page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert b"<html" not in response.data and b"alert" in response.data


def test_500_page_is_rendered_and_logged(app, login, caplog):
    app.config["PROPAGATE_TEST_ERRORS"] = False

    @require()
    def boom():
        raise RuntimeError("kaboom")

    app.add_url_rule("/boom", "boom", boom)
    response = login().get("/boom")
    assert response.status_code == 500
    assert b"Something went wrong" in response.data and b"kaboom" not in response.data
    assert "kaboom" in caplog.text


def test_405_on_wrong_method(login):
    assert login().get("/auth/logout").status_code == 405
