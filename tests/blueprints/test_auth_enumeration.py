"""New-account errors do not tell a scoped administrator which usernames other tenants use."""

import pytest

from modoboa_flask.blueprints.identities import services
from modoboa_flask.exceptions import Conflict, PermissionDenied
from modoboa_flask.extensions import db
from modoboa_flask.models import DomainAlias, User
from tests import factories


@pytest.fixture
def tenants(app):
    """Domain a.test (domain admin `da`, reseller `res`) and b.test with a taken mailbox."""
    with app.app_context():
        res = factories.make_user(role="Resellers", username="res")
        dom_a = factories.make_domain("a.test", owner_id=res)
        dom_b = factories.make_domain("b.test")
        da = factories.make_user(role="DomainAdmins", username="da")
        factories.grant_domain(da, dom_a)
        factories.make_mailbox(dom_a, "taken")
        factories.make_mailbox(dom_b, "taken")
        factories.make_user(role="DomainAdmins", username="boss@b.test")
        factories.make_user(role="DomainAdmins", username="root")
        db.session.add(DomainAlias(name="b-alias.test", target_id=dom_b))
        db.session.commit()
    return {"da": da, "res": res}


def _create(actor_id, username, role="SimpleUsers"):
    actor = db.session.get(User, actor_id)
    try:
        services.create_account(actor, username=username, role=role, password="Secret123")
    except (Conflict, PermissionDenied) as exc:
        db.session.rollback()
        return type(exc).__name__, exc.field, exc.message
    db.session.rollback()
    return "created"


@pytest.mark.parametrize("actor", ["da", "res"])
def test_other_tenants_addresses_answer_the_same_taken_or_not(app, tenants, actor):
    with app.app_context():
        taken = _create(tenants[actor], "taken@b.test")
        free = _create(tenants[actor], "free@b.test")
        via_alias = _create(tenants[actor], "taken@b-alias.test")
    assert taken == free == via_alias
    assert taken == ("PermissionDenied", "username", "You don't have access to this domain")


def test_reseller_admin_usernames_in_other_tenants_domains_are_refused(app, tenants):
    with app.app_context():
        taken = _create(tenants["res"], "boss@b.test", role="DomainAdmins")
        free = _create(tenants["res"], "chief@b.test", role="DomainAdmins")
        # Plain names and outside addresses have one global namespace: they stay usable.
        assert _create(tenants["res"], "alice@example.org", role="DomainAdmins") == "created"
        root = _create(tenants["res"], "root", role="DomainAdmins")
    assert taken == free and taken[0] == "PermissionDenied"
    assert root == ("Conflict", "username", "This username is not available")


def test_scoped_admins_get_one_message_for_duplicates(app, tenants):
    with app.app_context():
        assert _create(tenants["da"], "taken@a.test") == (
            "Conflict",
            "username",
            "This username is not available",
        )
        # Super administrators see everything: they get the precise message.
        admin = db.session.scalar(db.select(User.id).where(User.username == "admin"))
        assert _create(admin, "taken@b.test")[2] == "An account with this username already exists"


def test_renaming_into_another_tenants_domain_answers_the_same(app, tenants):
    with app.app_context():
        actor = db.session.get(User, tenants["da"])
        account = db.session.scalar(db.select(User).where(User.username == "taken@a.test"))
        answers = []
        for target in ("taken@b.test", "free@b.test"):
            with pytest.raises(PermissionDenied) as caught:
                services.update_account(actor, account, username=target)
            db.session.rollback()
            answers.append((caught.value.field, caught.value.message))
    assert answers[0] == answers[1]
