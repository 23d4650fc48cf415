"""A domain rename touches only that domain's rows (issue 11, point 3).

It renames the domain's aliases, its mailboxes and their accounts, and the rows linked to
them; an address that only *looks* like the domain's (another tenant's admin named
"boss@old.test", another domain's sender grant, a sub-domain) stays. A rename that would
change an account the actor may not manage is refused, naming it.
"""

import pytest
from sqlalchemy import select

from modoboa_flask.accounts import first_superuser
from modoboa_flask.blueprints.domains import services
from modoboa_flask.exceptions import ServiceError
from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, AliasRecipient, Domain, Mailbox, SenderAddress, User
from tests import factories
from tests.api.conftest import ApiClient, make_token
from tests.isolation.world import populate

# What else lives in d.test (r1's domain, which also holds u@d.test and da@d.test).
EXTRA = {
    None: None,
    "own": None,  # r1's own mailbox: renaming its own address is r1's call
    "peer_reseller": "peer@d.test",
    "superadmin": "root@d.test",
    "wide_admin": "wide@d.test",  # also administers b.test, which r1 does not
}
# actor -> status when the extra account is manageable (None: allowed) or not.
# "da" administers d.test but holds no domains.change; r2 does not see d.test.
ACTORS = {"admin": (None, None), "r1": (None, 403), "r2": (404, 404), "da": (403, 403)}


def _build(ids, extra):
    dom = factories.make_domain("d.test", owner_id=ids["r1"])
    factories.make_mailbox(dom, "u")
    ids["da"] = factories.make_mailbox(dom, "da", role="DomainAdmins")
    factories.grant_domain(ids["da"], dom)
    if extra == "own":
        factories.make_mailbox(dom, "r1", user_id=ids["r1"])
    elif extra == "peer_reseller":
        factories.make_mailbox(dom, "peer", role="Resellers")
    elif extra == "superadmin":
        factories.make_mailbox(dom, "root", role="SuperAdmins")
    elif extra == "wide_admin":
        wide = factories.make_mailbox(dom, "wide", role="DomainAdmins")
        factories.grant_domain(wide, dom)
        factories.grant_domain(wide, ids["b.test"])
    return dom


def _addresses(domain_id):
    stmt = select(User.email).join(Mailbox, Mailbox.user_id == User.id)
    return sorted(db.session.scalars(stmt.where(Mailbox.domain_id == domain_id)))


@pytest.mark.parametrize("extra", list(EXTRA))
@pytest.mark.parametrize("actor", list(ACTORS))
def test_rename_matrix(app, actor, extra):
    with app.app_context():
        ids = populate()
        dom = _build(ids, extra)
        before = _addresses(dom)
        blocked = EXTRA[extra]
        expected = ACTORS[actor][1 if blocked else 0]
        try:
            actor_user = db.session.get(User, ids[actor])
            services.update_domain(actor_user, db.session.get(Domain, dom), name="e.test")
            db.session.commit()
            status = None
        except ServiceError as exc:
            db.session.rollback()
            status, message = exc.status, exc.message
        assert status == expected
        if status is None:
            assert _addresses(dom) == [a.replace("@d.test", "@e.test") for a in before]
        else:
            assert db.session.get(Domain, dom).name == "d.test" and _addresses(dom) == before
            if blocked and actor == "r1":
                assert f"would rename the account {blocked}" in message


def test_api_refusal_names_the_account(app):
    with app.app_context():
        ids = populate()
        dom = _build(ids, "peer_reseller")
        key = make_token(ids["r1"])
    response = ApiClient(app, key).put(f"domains/{dom}/", json={"name": "e.test", "quota": 0})
    assert response.status_code == 403
    assert "peer@d.test" in str(response.json)
    with app.app_context():
        assert db.session.get(Domain, dom).name == "d.test"


def test_delete_refused_when_it_would_remove_a_peers_mailbox(app):
    with app.app_context():
        ids = populate()
        dom = _build(ids, "peer_reseller")
        reseller = db.session.get(User, ids["r1"])
        with pytest.raises(ServiceError, match="delete the mailbox of the account peer@d.test"):
            services.delete_domain(reseller, db.session.get(Domain, dom))
        db.session.rollback()
        assert db.session.get(Domain, dom) is not None


def _scoping_world():
    old = factories.make_domain("old.test")
    other = factories.make_domain("other.test")
    sub = factories.make_domain("sub.old.test")
    user_id = factories.make_mailbox(old, "user")
    user_mb = db.session.scalar(select(Mailbox).where(Mailbox.user_id == user_id))
    # Another tenant's admin whose *username* looks like old.test's, mailbox elsewhere.
    boss = factories.make_mailbox(other, "boss", role="DomainAdmins")
    db.session.get(User, boss).username = "boss@old.test"
    x_id = factories.make_mailbox(other, "x")
    x_mb = db.session.scalar(select(Mailbox).where(Mailbox.user_id == x_id))
    factories.make_mailbox(sub, "x")
    db.session.add_all(
        [
            SenderAddress(address="sales@old.test", mailbox_id=user_mb.id),  # own: follows
            SenderAddress(address="sales@old.test", mailbox_id=x_mb.id),  # other's: stays
        ]
    )
    linked = Alias(address="fwd@other.test", domain_id=other)
    linked.recipients.append(AliasRecipient(address="user@old.test", r_mailbox_id=user_mb.id))
    text = Alias(address="ext@other.test", domain_id=other)
    text.recipients.append(AliasRecipient(address="someone@old.test"))
    db.session.add_all([linked, text])
    db.session.commit()
    return old, boss, x_mb.id


def test_rename_touches_only_the_domains_rows(app):
    with app.app_context():
        old, boss, x_mailbox = _scoping_world()
        services.update_domain(first_superuser(), db.session.get(Domain, old), name="new.test")
        db.session.commit()
        assert db.session.get(User, boss).username == "boss@old.test"
        senders = set(db.session.execute(select(SenderAddress.mailbox_id, SenderAddress.address)))
        assert (x_mailbox, "sales@old.test") in senders
        assert "sales@new.test" in {address for _, address in senders}
        recipients = set(db.session.scalars(select(AliasRecipient.address)))
        assert {"user@new.test", "someone@old.test", "x@sub.old.test"} <= recipients
        assert "user@old.test" not in recipients
        users = set(db.session.scalars(select(User.username)))
        assert {"user@new.test", "x@sub.old.test", "boss@old.test"} <= users
        assert "user@old.test" not in users


def test_a_clash_with_an_unseen_account_does_not_name_it(app):
    """r1 renaming its domain to x.org must not learn that r3 (another tenant, unseen) is
    called boss@x.org: "This username is not available" style, not the username."""
    from modoboa_flask.exceptions import Conflict

    domain_services = services

    with app.app_context():
        ids = populate()
        factories.make_user("Resellers", username="boss@x.org")
        db.session.commit()
        r1 = db.session.get(User, ids["r1"])
        mine = domain_services.create_domain(r1, name="mine.test")
        db.session.commit()
        with pytest.raises(Conflict) as refused:
            domain_services.update_domain(r1, mine, name="x.org")
        assert "boss" not in refused.value.message
        assert refused.value.field == "name"
