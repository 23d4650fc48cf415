"""Domain aliases from the domain form's tab and their own list; internal rows follow."""

import pytest
from sqlalchemy import select

from modoboa_flask import signals
from modoboa_flask.accounts import first_superuser
from modoboa_flask.blueprints.domains import services
from modoboa_flask.exceptions import LimitReached
from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, Domain, DomainAlias, Log, User
from tests.factories import make_domain


@pytest.fixture
def target(app):
    with app.app_context():
        domain_id = make_domain("target.com")
        actor = first_superuser()
        for name in ("one.net", "two.net"):
            services.create_domain_alias(actor, db.session.get(Domain, domain_id), name)
        db.session.commit()
        return domain_id


def ids(app):
    with app.app_context():
        return {a.name: a.id for a in db.session.scalars(select(DomainAlias))}


def internal_rows(app):
    with app.app_context():
        rows = db.session.scalars(select(Alias).where(Alias.internal.is_(True)))
        return {a.address: (a.enabled, [r.address for r in a.recipients]) for a in rows}


def post_tab(client, domain_id, entries, new=""):
    data = {"aliases-new": new}
    for i, (alias_id, name, enabled, delete) in enumerate(entries):
        data[f"aliases-entries-{i}-id"] = str(alias_id)
        data[f"aliases-entries-{i}-name"] = name
        if enabled:
            data[f"aliases-entries-{i}-enabled"] = "y"
        if delete:
            data[f"aliases-entries-{i}-delete"] = "y"
    return client.post(f"/domains/{domain_id}/tabs/aliases", data=data)


def test_tab_renames_disables_removes_and_adds(app, login, target):
    client = login()
    known = ids(app)
    response = post_tab(
        client, target,
        [(known["one.net"], "Uno.net", False, False), (known["two.net"], "two.net", True, True)],
        new="three.net\nvier.de",
    )  # fmt: skip
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Domain aliases saved." in body
    assert 'value="uno.net"' in body and 'value="vier.de"' in body
    with app.app_context():
        rows = db.session.execute(select(DomainAlias.name, DomainAlias.enabled)).all()
        assert sorted(rows) == [("three.net", True), ("uno.net", False), ("vier.de", True)]
    assert internal_rows(app) == {
        "@uno.net": (False, ["@target.com"]),
        "@three.net": (True, ["@target.com"]),
        "@vier.de": (True, ["@target.com"]),
    }


def test_tab_errors_in_place_and_nothing_saved(app, login, target):
    client = login()
    with app.app_context():
        make_domain("busy.com")
    known = ids(app)
    response = post_tab(client, target, [(known["one.net"], "renamed.net", True, False)],
                        new="busy.com")  # fmt: skip
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "A domain named busy.com already exists." in body
    assert set(ids(app)) == {"one.net", "two.net"}  # the rename was rolled back too


def test_aliases_list_page(app, login, target):
    body = login().get(f"/domains/{target}/aliases").get_data(as_text=True)
    assert "Domain aliases of target.com" in body
    assert 'value="one.net"' in body and f'hx-post="/domains/{target}/tabs/aliases"' in body


def test_aliases_list_is_read_only_for_domain_admins(app, login, target):
    client = login("DomainAdmins")
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == "DomainAdmins"))
        from tests.factories import grant_domain

        grant_domain(admin.id, target)
    body = client.get(f"/domains/{target}/aliases").get_data(as_text=True)
    assert "one.net" in body and "hx-post" not in body


def test_delete_alias_service_sends_event_and_audits(app, target):
    seen = []
    with app.app_context():
        domain_alias = db.session.scalar(select(DomainAlias).where(DomainAlias.name == "one.net"))

        def on_deleted(sender, domain_alias, **kw):
            seen.append(domain_alias.name)

        with signals.domain_alias_deleted.connected_to(on_deleted, sender=app):
            services.delete_domain_alias(first_superuser(), domain_alias)
        db.session.commit()
        assert db.session.scalar(select(Log.level).where(Log.message.like("%one.net' deleted")))
    assert seen == ["one.net"]
    assert "@one.net" not in internal_rows(app)


def test_limits_are_asked_for_actor_and_domain(app, target):
    asked = []

    def refuse(sender, context, object_type, count, **kw):
        asked.append((type(context).__name__, object_type, count))
        if isinstance(context, Domain):
            raise LimitReached("Domain aliases: limit reached")

    with app.app_context(), signals.can_create_object.connected_to(refuse, sender=app):
        with pytest.raises(LimitReached):
            services.create_domain_alias(
                first_superuser(), db.session.get(Domain, target), "more.net"
            )
    assert asked == [("User", "domain_aliases", 1), ("Domain", "domain_aliases", 1)]
