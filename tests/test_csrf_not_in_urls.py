"""GET requests never carry the CSRF token (or a password) in their URL: logs, Referer, history."""

from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from modoboa_flask.extensions import db
from modoboa_flask.models import Domain

PAGES = ["/domains/", "/domains/new", "/identities/", "/identities/quotas", "/settings/logs"]
SECRET_FIELDS = {"csrf_token", "password", "admin_password", "options-admin_password"}


class _Forms(HTMLParser):
    """Collect forms (method, id, field names) and the elements that send htmx GETs."""

    def __init__(self):
        super().__init__()
        self.forms, self.gets, self._open = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            method = "post" if "hx-post" in attrs else (attrs.get("method") or "get").lower()
            form = {"id": attrs.get("id"), "method": method, "fields": set(), "attrs": attrs}
            self.forms.append(form)
            self._open.append(form)
        elif tag in ("input", "select", "textarea") and self._open and attrs.get("name"):
            self._open[-1]["fields"].add(attrs["name"])
        if "hx-get" in attrs:
            self.gets.append(attrs)

    def handle_endtag(self, tag):
        if tag == "form" and self._open:
            self._open.pop()


def _secret_fields(fields):
    return {f for f in fields if f in SECRET_FIELDS or f.endswith("password")}


@pytest.mark.parametrize("url", PAGES)
def test_get_forms_and_htmx_gets_carry_no_token(login, url):
    client = login()
    response = client.get(url)
    assert response.status_code == 200, url
    parser = _Forms()
    parser.feed(response.get_data(as_text=True))
    by_id = {form["id"]: form for form in parser.forms if form["id"]}
    for form in parser.forms:
        if form["method"] == "get":
            assert not _secret_fields(form["fields"]), (url, form["attrs"])
    for attrs in parser.gets:
        included = attrs.get("hx-include", "")
        if included.startswith("#") and included[1:] in by_id:
            assert not _secret_fields(by_id[included[1:]]["fields"]), (url, attrs)


def test_domain_type_change_rerenders_by_post_without_creating(app, login):
    client = login()
    response = client.post(
        "/domains/new",
        data={"rerender": "1", "general-name": "kept.com", "general-type": "relaydomain"},
        headers={"HX-Request": "true"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'value="kept.com"' in html
    with app.app_context():
        assert db.session.scalar(select(func.count(Domain.id))) == 0
