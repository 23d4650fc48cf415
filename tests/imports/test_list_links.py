"""Import / Export on the domain and identity lists; the export follows the list's filters."""

import re

from modoboa_flask.accounts import first_superuser
from modoboa_flask.blueprints.identities.services import create_alias
from modoboa_flask.extensions import db
from tests import factories


def _export(client, what, **args):
    answer = client.get(f"/imports/export/{what}", query_string=args)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    return [line.split(";")[:2] for line in answer.get_data(as_text=True).splitlines()]


def _export_href(page: str, kind: str) -> str:
    return re.search(rf'id="{kind}-export" href="([^"]+)"', page).group(1).replace("&amp;", "&")


def test_domain_list_links_and_filtered_export(app, client, login):
    with app.app_context():
        factories.make_domain("alpha.org")
        factories.make_domain("beta.org")
        factories.make_domain("alpha-relay.net", type="relaydomain")
    login()
    page = client.get("/domains/?q=alpha&type=domain").get_data(as_text=True)
    assert 'id="domains-import" href="/imports/domains"' in page
    href = _export_href(page, "domains")
    assert href.startswith("/imports/export/domains?") and "q=alpha" in href
    assert [row[1] for row in _export(client, "domains", q="alpha", type="domain")] == ["alpha.org"]
    assert [row[1] for row in _export(client, "domains", q="alpha")] == [
        "alpha-relay.net",
        "alpha.org",
    ]
    # A search typed later re-sends the export link (out of band) with the new filters.
    fragment = client.get("/domains/?q=beta", headers={"HX-Request": "true"})
    fragment = fragment.get_data(as_text=True)
    assert 'hx-swap-oob="true"' in fragment and "q=beta" in _export_href(fragment, "domains")
    assert [row[1] for row in _export(client, "domains", q="beta")] == ["beta.org"]


def _identities(app):
    with app.app_context():
        actor = first_superuser()
        example = factories.make_domain("example.org")
        other = factories.make_domain("other.org")
        factories.make_mailbox(example, "ann")
        factories.make_mailbox(other, "bob")
        admin = factories.make_mailbox(example, "boss", role="DomainAdmins")
        factories.grant_domain(admin, example)
        recipients = ["ann@example.org", "bob@other.org"]
        create_alias(actor, address="team@example.org", recipients=recipients)
        create_alias(actor, address="one@other.org", recipients=["bob@other.org"])
        db.session.commit()


def test_identity_list_links_and_filtered_export(app, client, login):
    _identities(app)
    client = login(username="chief")
    page = client.get("/identities/?q=example&kind=account").get_data(as_text=True)
    assert 'id="identities-import" href="/imports/identities"' in page
    href = _export_href(page, "identities")
    assert "q=example" in href and "kind=account" in href

    def names(**args):
        return [tuple(row) for row in _export(client, "identities", **args)]

    assert names(q="example", kind="account") == [
        ("account", "ann@example.org"),
        ("account", "boss@example.org"),
    ]
    assert names(q="example", role="DomainAdmins") == [("account", "boss@example.org")]
    assert names(kind="dlist") == [("alias", "team@example.org")]
    assert names(q="other") == [("account", "bob@other.org"), ("alias", "one@other.org")]
    assert names(kind="bogus", role="bogus") == names()  # unknown values: no filter, as the list
    assert [name for kind, name in names() if kind == "account"] == [
        "admin", "ann@example.org", "bob@other.org", "boss@example.org", "chief",
    ]  # fmt: skip
    fragment = client.get("/identities/?q=other", headers={"HX-Request": "true"})
    fragment = fragment.get_data(as_text=True)
    assert 'hx-swap-oob="true"' in fragment and "q=other" in _export_href(fragment, "identities")
