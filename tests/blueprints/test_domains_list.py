"""The domain list: pagination, search as you type, type filter, sort, SQL aggregates."""

import re

from modoboa_flask import params
from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, DomainAlias, Quota
from tests.factories import make_domain, make_mailbox


def names(response) -> list[str]:
    return re.findall(r'data-name="([^"]+)"', response.get_data(as_text=True))


def set_param(app, key, value):
    with app.app_context():
        params.set(key, value)
        db.session.commit()


def populate(app, count, prefix="dom"):
    """*count* domains, each with 2 mailboxes, one public alias, one domain alias."""
    with app.app_context():
        for i in range(count):
            domain_id = make_domain(f"{prefix}{i:02d}.com", quota=100)
            for local in ("a", "b"):
                make_mailbox(domain_id, local, quota=10)
            db.session.add(Alias(address=f"info@{prefix}{i:02d}.com", domain_id=domain_id))
            db.session.add(DomainAlias(name=f"{prefix}{i:02d}.net", target_id=domain_id))
        db.session.commit()


def test_page_and_fragment(app, login):
    client = login()
    populate(app, 1)
    page = client.get("/domains/?q=dom")
    fragment = client.get("/domains/?q=dom", headers={"HX-Request": "true"})
    assert b"<html" in page.data and b"dom00.com" in page.data
    assert b"<html" not in fragment.data and b"dom00.com" in fragment.data
    assert "HX-Request" in fragment.headers["Vary"]
    assert b'hx-push-url="true"' in page.data and b'hx-get="/domains/"' in page.data


def test_row_shows_counts_aliases_and_quota(app, login):
    client = login()
    with app.app_context():
        domain_id = make_domain("row.com", quota=100, enabled=False)
        make_mailbox(domain_id, "a", quota=10)
        make_mailbox(domain_id, "b", quota=10)
        db.session.add(Alias(address="info@row.com", domain_id=domain_id))
        db.session.add(DomainAlias(name="row.net", target_id=domain_id))
        db.session.get(Quota, "a@row.com").bytes = 3 * 1024 * 1024
        db.session.get(Quota, "b@row.com").bytes = 2 * 1024 * 1024
        db.session.add(Quota(username="a@other.com", bytes=99 * 1024 * 1024))
        db.session.commit()
    row = client.get("/domains/").get_data(as_text=True)
    row = row[row.index('data-name="row.com"') :]
    row = row[: row.index("</tr>")]
    assert "row.net" in row and "disabled" in row
    assert '<td class="text-end" data-count="mailboxes">2</td>' in row
    # Internal self-aliases are not counted: only info@row.com.
    assert '<td class="text-end" data-count="aliases">1</td>' in row
    assert "<td data-quota>5.0 / 100 MB</td>" in row


def test_unicode_names_are_displayed_decoded(app, login):
    client = login()
    with app.app_context():
        make_domain("xn--pout-dpa.com")
    body = client.get("/domains/").get_data(as_text=True)
    assert "pouét.com" in body
    assert names(client.get("/domains/?q=pouét.com")) == ["xn--pout-dpa.com"]


def test_search_by_domain_or_alias_name(app, login):
    client = login()
    with app.app_context():
        one = make_domain("alpha.com")
        make_domain("beta.com")
        db.session.add(DomainAlias(name="gamma.org", target_id=one))
        db.session.commit()
    assert names(client.get("/domains/?q=ALPH")) == ["alpha.com"]
    assert names(client.get("/domains/?q=gamma")) == ["alpha.com"]
    assert names(client.get("/domains/?q=.com")) == ["alpha.com", "beta.com"]
    assert names(client.get("/domains/?q=%25")) == []  # LIKE wildcards are literal


def test_type_filter_and_sort(app, login):
    client = login()
    with app.app_context():
        make_domain("b-relay.com", type="relaydomain")
        make_domain("a-local.com")
        make_domain("c-local.com")
    assert names(client.get("/domains/?type=relaydomain")) == ["b-relay.com"]
    assert names(client.get("/domains/?type=domain")) == ["a-local.com", "c-local.com"]
    assert names(client.get("/domains/")) == ["a-local.com", "b-relay.com", "c-local.com"]
    assert names(client.get("/domains/?sort=-name")) == [
        "c-local.com",
        "b-relay.com",
        "a-local.com",
    ]


def test_page_size_comes_from_parameter(app, login):
    client = login()
    set_param(app, "core.items_per_page", 3)
    with app.app_context():
        for i in range(7):
            make_domain(f"p{i}.com")
    first = client.get("/domains/")
    assert names(first) == ["p0.com", "p1.com", "p2.com"]
    assert b"Page 1 of 3" in first.data and b"7 domains" in first.data
    assert names(client.get("/domains/?page=3")) == ["p6.com"]
    assert names(client.get("/domains/?page=99")) == []


def test_query_count_does_not_grow_with_rows(app, login, count_queries):
    client = login()
    set_param(app, "core.items_per_page", 50)
    populate(app, 5, "few")
    client.get("/domains/")  # warm-up: caches, session
    with count_queries() as few:
        response = client.get("/domains/")
    assert len(names(response)) == 5
    populate(app, 35, "more")
    with count_queries() as many:
        response = client.get("/domains/")
    assert len(names(response)) == 40
    assert len(few) == len(many)
