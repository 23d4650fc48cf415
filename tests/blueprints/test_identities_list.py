"""Identities and quotas lists: search, kind and role filters, sort, scope, constant queries."""

import re

import pytest
from sqlalchemy import select

from modoboa_flask import params
from modoboa_flask.blueprints.identities import services
from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, Quota, User
from tests import factories
from tests.blueprints.identities_world import populate, user


@pytest.fixture
def world(app):
    with app.app_context():
        ids = populate()
        admin = user(ids["superadmin"])
        # forward (shares the mailbox address), dlist (two local), forward (all external).
        services.create_alias(
            admin, address="user@test.com", recipients=["x@ext.org", "user@test.com"]
        )
        services.create_alias(
            admin, address="team@test.com", recipients=["user@test.com", "admin@test.com"]
        )
        db.session.commit()
        return ids


def names(html: str) -> list[str]:
    return re.findall(r'<td><a href="/identities/(?:accounts|aliases)/\d+">([^<]+)</a>', html)


def kinds(html: str) -> dict:
    rows = re.findall(r'<tr data-kind="(\w+)">.*?<a href="[^"]+">([^<]+)</a>', html, re.S)
    return {name: kind for kind, name in rows}


def test_page_and_fragment(login, world):
    client = login(user_id=world["superadmin"])
    page = client.get("/identities/")
    fragment = client.get("/identities/?q=test2", headers={"HX-Request": "true"})
    assert "<html" in page.text and "user@test.com" in page.text
    assert "<html" not in fragment.text
    assert sorted(names(fragment.text)) == ["admin@test2.com", "alias@test2.com", "user@test2.com"]
    assert "HX-Request" in fragment.headers["Vary"]


def test_search_by_username_alias_and_domain(login, world):
    client = login(user_id=world["superadmin"])
    assert names(client.get("/identities/?q=POSTMASTER").text) == ["postmaster@test.com"]
    assert names(client.get("/identities/?q=reseller").text) == ["reseller"]
    # "res.com" matches the domain of user@res.com (and the username too).
    assert "user@res.com" in names(client.get("/identities/?q=res.com").text)
    assert names(client.get("/identities/?q=%25").text) == []  # LIKE wildcards are escaped


def test_kind_filters_follow_the_documented_definitions(login, world):
    client = login(user_id=world["superadmin"])
    all_kinds = kinds(client.get("/identities/").text)
    assert all_kinds["forward@test.com"] == "forward"  # all external
    assert all_kinds["postmaster@test.com"] == "forward"  # two externals: still a forward
    assert all_kinds["team@test.com"] == "dlist"
    assert all_kinds["alias@test.com"] == "alias"
    assert all_kinds["user@test.com"] in ("account", "forward")
    for kind in ("alias", "forward", "dlist"):
        html = client.get(f"/identities/?kind={kind}").text
        found = kinds(html)
        assert found and set(found.values()) == {kind}, kind
    forwards = kinds(client.get("/identities/?kind=forward").text)
    assert sorted(forwards) == ["forward@test.com", "postmaster@test.com", "user@test.com"]
    assert set(kinds(client.get("/identities/?kind=account").text).values()) == {"account"}


def test_role_filter_and_sort(login, world):
    client = login(user_id=world["superadmin"])
    assert names(client.get("/identities/?role=DomainAdmins").text) == [
        "admin@test.com",
        "admin@test2.com",
    ]
    assert names(client.get("/identities/?role=SuperAdmins").text) == ["admin"]
    listed = names(client.get("/identities/?sort=-name").text)
    assert listed == sorted(listed, reverse=True) and len(listed) > 5


def test_domain_admin_sees_only_their_domain(login, world):
    client = login(user_id=world["admin@test.com"])
    listed = names(client.get("/identities/").text)
    assert "user@test.com" in listed and "alias@test.com" in listed
    assert not [n for n in listed if "test2" in n or "res.com" in n or n in ("admin", "reseller")]


def test_simple_users_have_no_list(login, world):
    assert login(user_id=world["user@test.com"]).get("/identities/").status_code == 403


def _fill(app, count):
    """A new domain with *count* mailboxes and *count* aliases."""
    with app.app_context():
        params.set("core.items_per_page", "100")
        domain_id = factories.make_domain()
        domain = db.session.get(Domain, domain_id).name
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        for i in range(count):
            factories.make_mailbox(domain_id, f"m{i}")
            services.create_alias(
                admin, address=f"a{i}@{domain}", recipients=[f"m{i}@{domain}", "ext@out.org"]
            )
        db.session.commit()


@pytest.mark.parametrize("view", ["/identities/", "/identities/quotas"])
def test_constant_queries_per_page(app, login, count_queries, view):
    client = login()
    _fill(app, 5)
    with count_queries() as small:
        small_page = client.get(view)
    _fill(app, 35)
    with count_queries() as large:
        large_page = client.get(view)
    assert small_page.text.count("<tr") + 35 <= large_page.text.count("<tr")
    assert len(small) == len(large), (small, large)
    assert len(large) <= 8


def test_quotas_usage_sort_and_filters(app, login):
    with app.app_context():
        domain_id = factories.make_domain("q.com", quota=0)
        for local, quota, used in [
            ("a", 100, 50),
            ("b", 100, 85),
            ("c", 100, 95),
            ("d", 100, 120),
            ("e", 0, 10),
        ]:
            factories.make_mailbox(domain_id, local, quota=quota)
            db.session.get(Quota, f"{local}@q.com").bytes = used * 1048576
        db.session.commit()
    client = login()
    html = client.get("/identities/quotas?sort=-usage").text
    order = re.findall(r">(\w)@q\.com</a>", html)
    assert order[:4] == ["d", "c", "b", "a"]
    assert "120 %" in html and "unlimited" in html
    for above, expected in [(80, ["b", "c", "d"]), (90, ["c", "d"]), (100, ["d"])]:
        html = client.get(f"/identities/quotas?above={above}").text
        assert re.findall(r">(\w)@q\.com</a>", html) == expected


def test_search_finds_an_administrator_by_mailbox_address(app, login, world):
    with app.app_context():
        services.update_account(
            user(world["superadmin"]), user(world["admin@test2.com"]), username="boss"
        )
        db.session.commit()
    client = login(user_id=world["superadmin"])
    assert names(client.get("/identities/?q=admin@test2").text) == ["boss"]
    assert "boss" in names(client.get("/identities/?q=test2.com").text)
