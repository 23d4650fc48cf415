"""Editing a domain in tabs: General, plugin tabs, quota semantics, events and audit."""

import pytest
from sqlalchemy import select
from wtforms import StringField

from modoboa_flask import signals
from modoboa_flask.extensions import db
from modoboa_flask.forms import FlaskForm, FormTab
from modoboa_flask.models import Domain, Log, Mailbox
from tests.factories import make_domain, make_mailbox


def general(client, domain_id, headers=None, **values):
    data = {"general-name": "edit.com", "general-type": "domain", "general-quota": "0",
            "general-default_mailbox_quota": "0", "general-enabled": "y"}  # fmt: skip
    data.update({f"general-{key}": str(value) for key, value in values.items()})
    if values.get("enabled") is False:
        del data["general-enabled"]
    return client.post(f"/domains/{domain_id}/tabs/general", data=data, headers=headers or {})


@pytest.fixture
def domain_id(app):
    with app.app_context():
        return make_domain("edit.com")


def test_edit_page_has_core_tabs_for_super_admins(app, login, domain_id):
    body = login().get(f"/domains/{domain_id}/edit").get_data(as_text=True)
    for tab in ("general", "aliases", "admins"):
        assert f'hx-post="/domains/{domain_id}/tabs/{tab}"' in body
    assert 'value="edit.com"' in body


def test_general_tab_saves_and_rerenders_fragment(app, login, domain_id):
    client = login()
    response = general(client, domain_id, quota=200, default_mailbox_quota=50, enabled=False)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and "General saved." in body
    assert 'id="tab-general-body"' in body
    with app.app_context():
        domain = db.session.get(Domain, domain_id)
        assert (domain.quota, domain.default_mailbox_quota, domain.enabled) == (200, 50, False)
        log = db.session.scalar(select(Log).where(Log.message == "Domain 'edit.com' modified"))
        assert log.changes == {
            "default_mailbox_quota": [0, 50], "enabled": [True, False], "quota": [0, 200],
        }  # fmt: skip


def test_general_tab_errors_in_place_with_200(app, login, domain_id):
    client = login()
    with app.app_context():
        make_domain("other.com")
    response = general(client, domain_id, name="other.com")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "A domain named other.com already exists." in body and "is-invalid" in body
    response = general(client, domain_id, quota="-5")
    assert "Number must be at least 0" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Domain, domain_id).quota == 0


def test_domain_modified_signal_carries_old_name(app, login, domain_id):
    client = login()
    seen = []

    def on_modified(sender, domain, oldname, **kw):
        seen.append((domain.name, oldname))

    with signals.domain_modified.connected_to(on_modified, sender=app):
        general(client, domain_id, name="Renamed.com")
        general(client, domain_id, name="renamed.com")  # no change: no event
    assert seen == [("renamed.com", "edit.com")]


@pytest.fixture
def pool(app):
    """A domain with a 100 MB pool: a (30, own quota), b and c (20, follow the default)."""
    with app.app_context():
        domain_id = make_domain("pool.com", quota=100, default_mailbox_quota=20)
        make_mailbox(domain_id, "a", quota=30)
        for local in ("b", "c"):
            make_mailbox(domain_id, local, quota=20)
        db.session.execute(
            Mailbox.__table__.update()
            .where(Mailbox.address.in_(["b", "c"]))
            .values(use_domain_quota=True)
        )
        db.session.commit()
        return domain_id


def quotas(app, domain_id):
    with app.app_context():
        rows = db.session.execute(
            select(Mailbox.address, Mailbox.quota)
            .where(Mailbox.domain_id == domain_id)
            .order_by(Mailbox.address)
        )
        return dict(rows.all())


def test_pool_below_one_mailbox_is_refused(app, login, pool):
    body = general(login(), pool, name="pool.com", quota=25, default_mailbox_quota=20)
    assert "The domain quota (25 MB) is lower than the quota of mailbox a@pool.com (30 MB)." in (
        body.get_data(as_text=True)
    )


def test_pool_below_the_sum_is_refused(app, login, pool):
    body = general(login(), pool, name="pool.com", quota=60, default_mailbox_quota=20)
    assert (
        "The domain quota (60 MB) is lower than the quotas of its mailboxes (70 MB in total)."
        in (body.get_data(as_text=True))
    )
    with app.app_context():
        assert db.session.get(Domain, pool).quota == 100


def test_default_change_updates_followers_only(app, login, pool):
    response = general(login(), pool, name="pool.com", quota=100, default_mailbox_quota=10)
    assert "General saved." in response.get_data(as_text=True)
    assert quotas(app, pool) == {"a": 30, "b": 10, "c": 10}


def test_raising_default_counts_followers_in_the_pool(app, login, pool):
    response = general(login(), pool, name="pool.com", quota=100, default_mailbox_quota=40)
    assert "(110 MB in total)" in response.get_data(as_text=True)
    assert quotas(app, pool) == {"a": 30, "b": 20, "c": 20}


def test_unlimited_pool_needs_no_check_but_limited_needs_a_default(app, login, pool):
    client = login()
    assert "General saved." in general(
        client, pool, name="pool.com", quota=0, default_mailbox_quota=0
    ).get_data(as_text=True)
    body = general(client, pool, name="pool.com", quota=500, default_mailbox_quota=0)
    assert "the default mailbox quota must be a number of MB" in body.get_data(as_text=True)


class NotesForm(FlaskForm):
    note = StringField("Note")


def test_plugin_tabs_render_and_save_through_the_same_code(app, login, domain_id):
    client = login()
    saved = []

    def save(user, domain, form):
        saved.append((domain.name, form.note.data))

    tab = FormTab("notes", "Notes", NotesForm, "domains/_tab_fields.html", 50, save=save)

    def tabs(sender, user, domain, **kw):
        return [tab]

    def fill(sender, user, domain, instances, **kw):
        instances["notes"] = {"note": f"about {domain.name}"}

    with (
        signals.extra_domain_form.connected_to(tabs, sender=app),
        signals.fill_domain_instances.connected_to(fill, sender=app),
    ):
        page = client.get(f"/domains/{domain_id}/edit").get_data(as_text=True)
        assert f'hx-post="/domains/{domain_id}/tabs/notes"' in page
        assert 'value="about edit.com"' in page
        response = client.post(f"/domains/{domain_id}/tabs/notes", data={"notes-note": "hi"})
        assert "Notes saved." in response.get_data(as_text=True)
    assert saved == [("edit.com", "hi")]
    assert client.post(f"/domains/{domain_id}/tabs/notes", data={}).status_code == 404
