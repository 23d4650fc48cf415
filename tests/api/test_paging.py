"""Lists: bare arrays, pages with X-Total-Count and Link, search, constant queries."""

import re

import pytest
from sqlalchemy import insert

from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, Mailbox, User
from tests import factories

TOTAL = 500


@pytest.fixture
def many(app):
    """500 simple users with mailboxes in one domain, inserted set-wise."""
    with app.app_context():
        domain_id = factories.make_domain("big.test")
        db.session.execute(
            insert(User),
            [
                {"username": f"u{i:04d}@big.test", "email": f"u{i:04d}@big.test",
                 "role": "SimpleUsers", "password": "{PLAIN}x", "first_name": f"N{i}"}
                for i in range(TOTAL)
            ],
        )  # fmt: skip
        ids = db.session.execute(db.select(User.id, User.username).where(User.email != "")).all()
        db.session.execute(
            insert(Mailbox),
            [
                {"address": name.split("@")[0], "domain_id": domain_id, "user_id": uid,
                 "quota": 0}
                for uid, name in ids
            ],
        )  # fmt: skip
        db.session.commit()
        assert db.session.get(Domain, domain_id)


@pytest.fixture
def super_api(api_as, admin_id):
    """The initial super admin's API client (no extra account in the lists)."""
    return api_as(admin_id)


def _links(response):
    return dict(
        (rel, url)
        for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("Link", ""))
    )


def test_no_parameters_gives_the_bare_array(app, super_api, many):
    response = super_api.get("accounts/")
    assert response.status_code == 200
    assert isinstance(response.json, list) and len(response.json) == TOTAL + 1  # + admin
    assert "X-Total-Count" not in response.headers
    names = [a["username"] for a in response.json]
    assert names == sorted(names)


def test_walk_every_page(app, super_api, many):
    client = super_api
    seen, url = [], "accounts/?page=1&page_size=120"
    while url:
        response = client.get(url)
        assert response.status_code == 200 and isinstance(response.json, list)
        assert response.headers["X-Total-Count"] == str(TOTAL + 1)
        seen += [a["username"] for a in response.json]
        url = _links(response).get("next")
    assert len(seen) == len(set(seen)) == TOTAL + 1
    last = client.get("accounts/?page=5&page_size=120")
    links = _links(last)
    assert set(links) == {"first", "last", "prev"} and "page=5" in links["last"]
    assert len(last.json) == TOTAL + 1 - 4 * 120


def test_page_size_defaults_to_items_per_page(app, super_api, many):
    response = super_api.get("accounts/?page=2")
    assert len(response.json) == 30 and response.headers["X-Total-Count"] == str(TOTAL + 1)


def test_search_is_sql_side_and_combines_with_paging(app, super_api, many):
    client = super_api
    found = client.get("accounts/?search=U01")  # case-insensitive
    assert sorted(a["username"] for a in found.json) == [f"u01{i:02d}@big.test" for i in range(100)]
    paged = client.get("accounts/?search=u01&page=2&page_size=30")
    assert paged.headers["X-Total-Count"] == "100" and len(paged.json) == 30
    assert client.get("accounts/?search=%25").json == []  # wildcards are literal
    assert client.get("accounts/?search=_").json == []


def test_constant_number_of_queries_per_page(app, super_api, many, count_queries):
    client = super_api
    client.get("accounts/?page=1&page_size=10")  # warm-up (last_used write)
    with count_queries() as small:
        client.get("accounts/?page=1&page_size=10")
    with count_queries() as big:
        client.get("accounts/?page=1&page_size=400")
    assert len(small) == len(big) <= 8


@pytest.mark.parametrize(
    "query, key",
    [("page=0", "page"), ("page=x", "page"), ("page_size=0", "page_size"),
     ("page_size=1001", "page_size"), ("page=1&page_size=-5", "page_size")],
)  # fmt: skip
def test_bad_paging_parameters(app, api_as, query, key):
    response = api_as("SuperAdmins").get(f"domains/?{query}")
    assert response.status_code == 400 and key in response.json


def test_paging_on_every_list(app, api_as):
    with app.app_context():
        for i in range(3):
            factories.make_domain(f"d{i}.test")
    client = api_as("SuperAdmins")
    for collection in ("domains", "domainaliases", "accounts", "aliases"):
        response = client.get(f"{collection}/?page=1&page_size=2")
        assert response.status_code == 200 and "X-Total-Count" in response.headers, collection
    assert [d["name"] for d in client.get("domains/?page=2&page_size=2").json] == ["d2.test"]
