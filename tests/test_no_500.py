"""No input gives a 500: random query parameters on every page, random values in every form.

Logged in as a super admin and as a domain admin, the test walks every GET route of the UI
with random query strings and posts random values to every form the pages render (found by
parsing the HTML, so a new form is covered without touching this file). Values are what
breaks databases: integers past 32 and 64 bits, non-ASCII digits, NUL bytes, strings longer
than their column, dates at the ends of the calendar. Anything >= 500 fails.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modoboa_flask.extensions import db
from modoboa_flask.models import User
from tests import factories
from tests.api.conftest import make_alias, make_domain_alias
from tests.conftest import fresh_app, log_client_in

pytestmark = pytest.mark.slow
PLUGINS = ["modoboa_flask.plugins.limits", "modoboa_flask.plugins.relaydomains"]
DEFAULTS = {
    "core.rounds_number": 1000,
    "limits.enable_domain_limits": "yes",
    "limits.enable_admin_limits": "yes",
}
# Forms that end the session or remove the objects every other example works on, and
# those that reach outside (a DNS "Check now" asks real servers; tests stay on 127.0.0.x).
SKIP_FORMS = ("/auth/logout", "/delete", "/revoke", "/check")
# UI routes and the URL arguments to build them (None: not a page of the UI).
# filters.*: every page talks to ManageSieve and answers 503 by design when none is running;
# tests/filters/ drives those forms against the real Dovecot instead.
SKIP_ROUTES = ("static", "api.", "api_docs.", "auth.logout", "root", "filters.")
SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# Valid values by field name (suffix), for the fields a page leaves empty.
GOOD = {
    "username": "new@a.test",
    "email": "new@a.test",
    "address": "new@a.test",
    "password": "Toto1234!x",
    "password2": "Toto1234!x",
    "confirmation": "Toto1234!x",
    "name": "new.test",
    "recipients": "user@a.test",
    "destinations": "user@a.test",
    "quota": "10",
    "local_part": "admin",
}
QUERY_NAMES = ["page", "per_page", "page_size", "after", "before", "last", "q", "sort", "type",
               "kind", "role", "above", "level", "logger", "user", "object", "date_from",
               "date_to", "tab", "saved", "next", "sepchar", "search", "domain"]  # fmt: skip
NASTY_INTS = [
    "-1",
    "0",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "1" + "0" * 40,
    "٣",
    "１２",
    "1e9",
    "0x10",
    " 7 ",
]
NASTY_STRINGS = [
    "",
    "\x00",
    "a\x00b",
    "x" * 31,
    "x" * 101,
    "x" * 256,
    "a" * 300 + "@example.com",
    "é" * 300,
    "💌" * 70,
    "%_\\'\"",
    "account:٣:x",
    "alias:99999999999999999999:a",
    "account:1:\x00",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "9999-12-31",
    "-1",
]
DATES = ["9999-12-31T23:59", "0001-01-01T00:00", "9999-12-31", "0001-01-01", "2038-01-19"]
NUMBERS = st.one_of(st.sampled_from(NASTY_INTS), st.integers().map(str))
VALUES = st.one_of(
    st.sampled_from(NASTY_INTS),
    st.sampled_from(NASTY_STRINGS),
    st.integers().map(str),
    st.text(max_size=40),
)
QUERY_VALUES = st.one_of(VALUES, st.sampled_from(DATES))


class _Forms(HTMLParser):
    """Collect the forms of a page: target, method and fields (name, kind, value, options)."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            action = attrs.get("hx-post") or attrs.get("action") or attrs.get("hx-get") or ""
            post = "hx-post" in attrs or attrs.get("method", "get").lower() == "post"
            self._form = {"action": action, "post": post, "fields": []}
            self.forms.append(self._form)
        elif self._form is None or "name" not in attrs:
            if tag == "option" and self._select is not None:
                self._select["options"].append(attrs.get("value", ""))
            return
        elif tag in ("input", "textarea", "select"):
            kind = attrs.get("type", "text") if tag == "input" else tag
            field = {"name": attrs["name"], "kind": kind, "value": attrs.get("value", "")}
            field["options"] = []
            self._form["fields"].append(field)
            self._select = field if tag == "select" else None

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_of(html: str) -> list[dict]:
    """The forms in *html*."""
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def field_value(field):
    """A strategy for one field: its own value or option, or something nasty for its kind."""
    own = st.sampled_from([field["value"], *field["options"]])
    if field["kind"] == "checkbox":
        return st.sampled_from(["", field["value"] or "y", "\x00"])
    if field["kind"] == "number":
        return st.one_of(own, NUMBERS)
    if field["kind"] in ("date", "datetime-local"):
        return st.one_of(own, st.sampled_from(DATES), VALUES)
    return st.one_of(own, VALUES)


def csv_files():
    """CSV import files whose rows carry random (often out-of-range) fields."""
    row = st.tuples(
        st.sampled_from(["domain", "domainalias", "account", "alias", "relaydomain"]),
        st.lists(VALUES.map(lambda v: v.replace(";", ",").replace("\n", " ")), max_size=14),
    ).map(lambda r: ";".join([r[0], *r[1]]))
    return st.lists(row, min_size=1, max_size=4).map(lambda rows: "\n".join(rows).encode())


@pytest.fixture
def world():
    """An app with the default plugins, one of each object, clients per role (fresh per
    test: the super admin's random posts may rename the domain admin's domain)."""
    app = fresh_app(PLUGINS=PLUGINS, PARAMETER_DEFAULTS=DEFAULTS)
    with app.app_context():
        admin = db.session.scalar(db.select(User.id).where(User.username == "admin"))
        dom = factories.make_domain("a.test", quota=100, default_mailbox_quota=10)
        other = factories.make_domain("b.test", quota=100, default_mailbox_quota=10)
        domain_admin = factories.make_mailbox(dom, "admin", role="DomainAdmins")
        factories.grant_domain(domain_admin, dom)
        reseller = factories.make_user(role="Resellers", username="reseller")
        user = factories.make_mailbox(dom, "user", quota=10)
        factories.make_mailbox(other, "user", quota=10)
        ids = dict(
            domain_id=dom,
            account_id=user,
            alias_id=make_alias(dom, "sales@a.test", ["user@a.test"]),
            reseller=reseller,
        )
        make_domain_alias(dom, "a-alias.test")
    clients = {
        "super": log_client_in(app, app.test_client(), admin),
        "domain admin": log_client_in(app, app.test_client(), domain_admin),
    }
    yield app, clients, ids
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def page_urls(app, ids) -> list[str]:
    """A URL for every GET route of the UI (fails on a route it cannot build)."""
    values = dict(ids, kind="identities", app_name="core", tab_id="general", token_id="1", index=0)
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith(SKIP_ROUTES) or "GET" not in rule.methods:
                continue
            args = {name: values[name] for name in rule.arguments}
            urls.append(app.url_for(rule.endpoint, **args))
    return sorted(urls) + ["/identities/accounts/new", "/domains/new?type=relaydomain"]


def all_forms(app, client, ids) -> list[dict]:
    """Every form the UI pages render for *client*, with absolute targets."""
    found = {}
    for url in page_urls(app, ids) + [f"/identities/accounts/{ids['reseller']}"]:
        response = client.get(url)
        if response.status_code != 200:
            continue
        for form in forms_of(response.get_data(as_text=True)):
            form["action"] = urljoin(url, form["action"] or url)
            if not form["action"].endswith(SKIP_FORMS):
                key = (form["action"], tuple(f["name"] for f in form["fields"]))
                found.setdefault(key, form)
    return list(found.values())


@pytest.mark.parametrize("role", ["super", "domain admin"])
def test_query_parameters_never_give_a_5xx(world, role):
    app, clients, ids = world
    client = clients[role]
    for url in page_urls(app, ids):
        _fuzz_query(client, url)


@pytest.mark.parametrize("role", ["super", "domain admin"])
def test_forms_never_give_a_5xx(world, role):
    app, clients, ids = world
    client = clients[role]
    forms = [form for form in all_forms(app, client, ids) if form["post"]]
    targets = {form["action"].split("/tab")[0] for form in forms}
    assert len(forms) >= (15 if role == "super" else 8), targets
    shown = sum(_fuzz_form(client, form) for form in forms)
    # The values really reach validation (CSRF is off in tests): fields get errors shown.
    assert shown > 5 * len(forms)


@pytest.mark.parametrize("raw", ["0", "2147483648", "9" * 30, "٣", "-1"])
def test_ids_in_urls_never_give_a_5xx(world, raw):
    app, clients, _ids = world
    client = clients["super"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(("static", "auth.logout")) or not rule.arguments:
            continue
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<{name}>", raw).replace(f"<int:{name}>", raw)
        url = re.sub(r"<[^>]+>", "domains", url)  # any(...) converters
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, headers={"HX-Request": "true"})
            assert response.status_code < 500, (method, url)


def _fuzz_query(client, url):
    """GET *url* with random query strings; fail on a 5xx."""

    @given(query=st.dictionaries(st.sampled_from(QUERY_NAMES), QUERY_VALUES, max_size=4))
    @settings(**SETTINGS, max_examples=6)
    def run(query):
        sep = "&" if "?" in url else "?"
        response = client.get(url + sep + urlencode(query))
        assert response.status_code < 500, (url, query)

    run()


def baseline(field) -> str:
    """A plausible value for *field* (its own, else one by name): one bad field among good
    ones gets past the form's other checks to the service and the database."""
    if field["value"] or field["kind"] in ("checkbox", "select", "hidden", "file"):
        return field["value"] or (field["options"][:1] or [""])[0]
    name = field["name"].rsplit("-", 1)[-1]
    for suffix, value in GOOD.items():
        if name.endswith(suffix):
            return value
    return ""


def _fuzz_form(client, form) -> int:
    """POST *form* with one to three fields replaced by random values; fail on a 5xx;
    return how many answers showed a field or form error."""
    shown = 0
    base = {f["name"]: baseline(f) for f in form["fields"]}
    picks = st.lists(st.sampled_from(form["fields"]), min_size=1, max_size=3,
                     unique_by=lambda f: f["name"])  # fmt: skip

    @given(data=st.data(), upload=csv_files())
    @settings(**SETTINGS, max_examples=15)
    def run(data, upload):
        nonlocal shown
        body = dict(base)
        for field in data.draw(picks) if form["fields"] else ():
            body[field["name"]] = data.draw(field_value(field))
        for field in form["fields"]:
            if field["kind"] == "file":
                body[field["name"]] = (io.BytesIO(upload), "rows.csv")
        response = client.post(form["action"], data=body, headers={"HX-Request": "true"})
        assert response.status_code < 500, (form["action"], body)
        shown += b"invalid-feedback" in response.data or b"alert-danger" in response.data

    run()
    return shown
