"""Identities list: keyset pages (Next/Previous/Last links) and prefix search semantics."""

import re

import pytest
from sqlalchemy import select

from modoboa_flask import params
from modoboa_flask.blueprints.identities import services
from modoboa_flask.blueprints.identities.keyset import Cursor, _successor
from modoboa_flask.extensions import db
from modoboa_flask.models import User
from tests import factories

NAME = re.compile(r'<td><a href="/identities/(?:accounts|aliases)/\d+">([^<]+)</a>')
ROW = re.compile(r'<td><a href="(/identities/(?:accounts|aliases)/\d+)">')
LINK = re.compile(r'<a class="page-link" rel="(\w+)" href="([^"]+)"')


def names(html: str) -> list[str]:
    return NAME.findall(html)


def links(html: str) -> dict:
    return {rel: href.replace("&amp;", "&") for rel, href in LINK.findall(html) if href != "#"}


@pytest.fixture
def crowd(app):
    """23 accounts and 10 aliases over two domains; some alias shares a mailbox address."""
    with app.app_context():
        params.set("core.items_per_page", "4")
        one, two = factories.make_domain("one.org"), factories.make_domain("two.org")
        for i in range(12):
            factories.make_mailbox(one, f"m{i:02d}")
        for i in range(11):
            factories.make_mailbox(two, f"m{i:02d}")
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        for i in range(9):
            services.create_alias(admin, address=f"a{i}@two.org", recipients=["x@ext.net"])
        # A forward with the same address as a mailbox: same name, other kind.
        services.create_alias(admin, address="m03@one.org", recipients=["x@ext.net"])
        db.session.commit()


def walk(client, url, rel):
    """Every row (edit URL) met following the *rel* links from *url*, and the page labels."""
    seen, labels = [], []
    while url:
        html = client.get(url).text
        seen += ROW.findall(html)
        labels.append(re.search(r"Page (\d+) of (\d+)", html).groups())
        url = links(html).get(rel)
    return seen, labels


@pytest.mark.parametrize("sort", ["name", "-name", "kind", "-kind"])
def test_next_links_walk_the_whole_list_in_order(crowd, login, sort):
    client = login()
    everything = []
    for page in range(1, 20):
        found = ROW.findall(client.get(f"/identities/?sort={sort}&page={page}").text)
        if page > 1 and found == everything[-len(found) :]:
            break  # past the end the last page repeats
        everything += found
    forward, labels = walk(client, f"/identities/?sort={sort}", "next")
    assert forward == everything and len(forward) == len(set(forward))
    assert labels[0] == ("1", "9") and labels[-1] == ("9", "9")
    last = links(client.get(f"/identities/?sort={sort}").text)["last"]
    backward, labels = walk(client, last, "prev")
    pages = [everything[i : i + 4] for i in range(0, len(everything), 4)]
    # Going back from the last page gives full pages aligned on the end, then page 1 (which
    # overlaps the page after it when the total is not a multiple of the page size).
    assert backward[:4] == everything[-4:]
    assert set(backward) == set(everything) and len(backward) == 4 * len(labels)
    assert backward[-4:] == pages[0] and labels[-1] == ("1", "9")


def test_keyset_links_carry_a_cursor_and_the_filters(crowd, login):
    client = login()
    html = client.get("/identities/?q=two.org&kind=forward").text
    found = links(html)
    assert "before" not in found.get("prev", "") and "first" not in found
    assert "after=alias:" in found["next"].replace("%3A", ":") and "q=two.org" in found["next"]
    assert "kind=forward" in found["next"] and "page=2" in found["next"]
    second = client.get(found["next"]).text
    assert names(second) and set(names(second)).isdisjoint(names(html))
    assert links(second)["prev"] == links(second)["first"]  # page 2: back to page 1


def test_a_bad_cursor_gives_the_first_page(crowd, login):
    client = login()
    first = names(client.get("/identities/").text)
    for bad in ("nonsense", "account:x:y", "other:1:n", "account:1:"):
        response = client.get(f"/identities/?after={bad}")
        assert response.status_code == 200
        assert names(response.text) == first


def test_cursor_round_trip_and_successor():
    cursor = Cursor("alias", 12, "a:b@c.org")
    assert Cursor.decode(cursor.encode()) == cursor
    assert _successor("ab") == "ac"
    assert _successor("a\U0010ffff") == "b"
    assert _successor("\U0010ffff") is None


def test_search_is_by_prefix_of_address_or_domain(crowd, login, app):
    client = login()
    with app.app_context():
        params.set("core.items_per_page", "100")
        db.session.commit()
    assert names(client.get("/identities/?q=m1").text) == [
        "m10@one.org", "m10@two.org", "m11@one.org",
    ]  # fmt: skip
    assert names(client.get("/identities/?q=m10@t").text) == ["m10@two.org"]
    # The middle of an address is not searched: "10@" is not a prefix of anything.
    assert names(client.get("/identities/?q=10@").text) == []
    by_domain = names(client.get("/identities/?q=two").text)
    assert len(by_domain) == 11 + 9 and all(n.endswith("@two.org") for n in by_domain)
    assert names(client.get("/identities/?q=@tw").text) == by_domain
    # "one.org" only as a domain prefix: the forward m03@one.org and the account both appear.
    one = names(client.get("/identities/?q=ONE.").text)
    assert one.count("m03@one.org") == 2 and len(one) == 13
    assert names(client.get("/identities/?q=xyz").text) == []
    # Administrators are found by any part of their username.
    assert names(client.get("/identities/?q=dmi").text) == ["admin"]


def test_quotas_search_by_address_or_domain_prefix(crowd, login):
    client = login()
    html = client.get("/identities/quotas?q=m1").text
    assert sorted(set(re.findall(r">(m\d+@\w+\.org)</a>", html))) == [
        "m10@one.org", "m10@two.org", "m11@one.org",
    ]  # fmt: skip
    html = client.get("/identities/quotas?q=@two").text
    found = set(re.findall(r">(m\d+@\w+\.org)</a>", html))
    assert found and all(a.endswith("@two.org") for a in found)
    assert not re.findall(r">(m\d+@\w+\.org)</a>", client.get("/identities/quotas?q=0@").text)
