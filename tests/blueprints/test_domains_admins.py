"""The Administrators tab (super admins) and the detail page."""

from sqlalchemy import select

from modoboa_flask import signals
from modoboa_flask.accounts import first_superuser
from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, DomainAdmin, Quota
from tests.factories import grant_domain, make_domain, make_mailbox, make_user


def test_add_and_remove_domain_admins(app, login):
    client = login()
    with app.app_context():
        domain_id = make_domain("adm.com")
        first = make_user("DomainAdmins", username="first")
        second = make_user("DomainAdmins", username="second")
        make_user("SimpleUsers", username="simple")
        grant_domain(first, domain_id)
    page = client.get(f"/domains/{domain_id}/edit").get_data(as_text=True)
    assert "Remove first" in page and '<option value="%d">second</option>' % second in page
    assert ">simple<" not in page
    response = client.post(
        f"/domains/{domain_id}/tabs/admins",
        data={"admins-remove": str(first), "admins-add": second},
    )
    assert "Administrators saved." in response.get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(
            select(DomainAdmin.user_id).where(DomainAdmin.domain_id == domain_id)
        )
        assert list(rows) == [second]


def test_removing_the_owner_sends_ownership_removed(app, login):
    client = login()
    with app.app_context():
        reseller = make_user("Resellers", username="res")
        domain_id = make_domain("owned.com", owner_id=reseller)
    seen = []

    def on_removed(sender, owner, domain, **kw):
        seen.append((owner.username, domain.name))

    with signals.domain_ownership_removed.connected_to(on_removed, sender=app):
        client.post(f"/domains/{domain_id}/tabs/admins", data={"admins-remove": str(reseller)})
    assert seen == [("res", "owned.com")]
    with app.app_context():
        assert db.session.get(Domain, domain_id).owner_id == first_superuser().id


def test_unknown_account_is_refused_in_place(app, login):
    client = login()
    with app.app_context():
        domain_id = make_domain("adm.com")
    response = client.post(f"/domains/{domain_id}/tabs/admins", data={"admins-add": "999"})
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)


def test_detail_page(app, login):
    client = login()
    with app.app_context():
        domain_id = make_domain("detail.com", quota=10)
        make_mailbox(domain_id, "a", quota=5)
        db.session.get(Quota, "a@detail.com").bytes = 5 * 1024 * 1024
        admin = make_user("DomainAdmins", username="boss@detail.com", first_name="Big")
        grant_domain(admin, domain_id)
        db.session.commit()
    body = client.get(f"/domains/{domain_id}").get_data(as_text=True)
    assert "Summary" in body and "Created" in body and "Last modified" in body
    assert '<dd class="col-6" data-count="mailboxes">1</dd>' in body
    assert "5.0 MB used of 10 MB" in body and 'value="50"' in body  # the bar
    assert "boss@detail.com" in body and "Big" in body
