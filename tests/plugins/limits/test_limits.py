"""Limits and resellers (reference §10 limits) at service and signal level."""

import pytest
from sqlalchemy import select

from modoboa_flask import params, signals
from modoboa_flask.accounts import set_role
from modoboa_flask.exceptions import BadRequest, LimitReached, PermissionDenied
from modoboa_flask.extensions import db
from modoboa_flask.models import (
    DomainAlias,
    DomainObjectLimit,
    Mailbox,
    User,
)
from modoboa_flask.permissions import assignable_roles
from modoboa_flask.plugins.limits import LimitTemplate, services
from tests import factories
from tests.conftest import make_app
from tests.plugins.limits.world import (
    account,
    can_create,
    domain,
    maximum,
    public_alias,
    superadmin,
    user,
)


# --- user limits --------------------------------------------------------------------------
def test_rows_come_from_defaults_for_system_and_super_admin_creations(app):
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    for creator in (None, admin):
        created = account(creator=creator)
        assert {n: maximum(created, n) for n in ("mailboxes", "domains")} == {
            "mailboxes": 2, "domains": 2,
        }  # fmt: skip


def test_domain_admin_resources_are_empty_when_a_reseller_creates_it(app):
    reseller = account("Resellers")
    created = account(owner=reseller, creator=reseller)
    assert maximum(created, "mailboxes") == 0 and maximum(created, "mailbox_aliases") == 0


def test_mailboxes_limit(app):
    admin = account()
    dom = domain(admins=[admin])
    for _ in range(2):
        can_create(admin, "mailboxes")
        factories.make_mailbox(dom.id, owner_id=admin.id)
    with pytest.raises(LimitReached, match="^Mailboxes: limit reached$"):
        can_create(admin, "mailboxes")
    db.session.delete(db.session.scalars(select(Mailbox)).first())
    db.session.commit()
    can_create(admin, "mailboxes")  # deleting frees one
    with pytest.raises(LimitReached):
        can_create(admin, "mailboxes", count=2)


def test_minus_one_is_unlimited(app):
    admin = account()
    dom = domain(admins=[admin])
    for local in ("a", "b"):
        public_alias(dom, local)
    with pytest.raises(LimitReached, match="Mailbox aliases: limit reached"):
        can_create(admin, "mailbox_aliases")
    services.set_user_limits(superadmin(), admin, {"mailbox_aliases": -1})
    can_create(admin, "mailbox_aliases", count=100)  # 1.6.2 refused this


def test_aliases_count_public_aliases_of_administered_domains(app):
    admin = account()
    mine, other = domain(admins=[admin]), domain()
    public_alias(mine, "one")
    public_alias(other, "x")
    public_alias(other, "y")
    factories.make_mailbox(mine.id)  # its internal self-alias is not counted
    can_create(admin, "mailbox_aliases")
    public_alias(mine, "two")
    with pytest.raises(LimitReached):
        can_create(admin, "mailbox_aliases")


def test_reseller_domains_and_domain_aliases_limits(app):
    reseller = account("Resellers")
    first = domain(owner=reseller)
    domain(owner=reseller)
    with pytest.raises(LimitReached, match="^Domains: limit reached$"):
        can_create(reseller, "domains")
    for name in ("alias1.test", "alias2.test"):
        can_create(reseller, "domain_aliases")
        db.session.add(DomainAlias(name=name, target_id=first.id))
        db.session.commit()
    with pytest.raises(LimitReached, match="^Domain aliases: limit reached$"):
        can_create(reseller, "domain_aliases")


def test_domain_admins_limit_restricts_assignable_roles(app):
    reseller = account("Resellers")
    can_create(reseller, "domain_admins")
    first = account(owner=reseller, creator=reseller)
    assert "DomainAdmins" in assignable_roles(reseller)
    account(owner=reseller, creator=reseller)
    assert assignable_roles(reseller) == ["SimpleUsers"]
    with pytest.raises(LimitReached, match="Domain admins: limit reached"):
        can_create(reseller, "domain_admins")
    assert "DomainAdmins" in assignable_roles(reseller, first)  # keeps its current role


def test_skipped_for_super_admins_simple_users_and_when_disabled(app):
    other_superadmin = user(factories.make_user(role="SuperAdmins"))
    can_create(other_superadmin, "domains", count=1000)
    simple = account("SimpleUsers")
    can_create(simple, "mailbox_aliases", count=1000)  # a user's own forward is not limited
    admin = account(owner=account("Resellers"), creator=None)
    services.set_user_limits(superadmin(), admin, {"mailboxes": 0})
    with pytest.raises(LimitReached):
        can_create(admin, "mailboxes")
    params.set("limits.enable_admin_limits", "no")
    can_create(admin, "mailboxes")


# --- reseller pools -----------------------------------------------------------------------
def test_allocate_from_pool_and_get_it_back_on_delete(app):
    reseller = account("Resellers")
    dom = domain(owner=reseller)
    sub = account(owner=reseller, creator=reseller)
    factories.make_mailbox(dom.id, user_id=None, owner_id=reseller.id)  # reseller uses 1
    services.set_user_limits(reseller, sub, {"mailboxes": 1, "mailbox_aliases": 2})
    db.session.commit()
    assert (maximum(reseller, "mailboxes"), maximum(reseller, "mailbox_aliases")) == (1, 0)
    assert (maximum(sub, "mailboxes"), maximum(sub, "mailbox_aliases")) == (1, 2)
    signals.send(signals.account_deleted, account=sub, byuser=reseller, keep_mb_dir=True)
    assert (maximum(reseller, "mailboxes"), maximum(reseller, "mailbox_aliases")) == (2, 2)


def test_lowering_a_limit_returns_the_difference(app):
    reseller = account("Resellers")
    sub = account(owner=reseller, creator=reseller)
    services.set_user_limits(reseller, sub, {"mailboxes": 2})
    services.set_user_limits(reseller, sub, {"mailboxes": 1})
    assert (maximum(reseller, "mailboxes"), maximum(sub, "mailboxes")) == (1, 1)


def test_allocate_too_much_changes_nothing(app):
    reseller = account("Resellers")
    dom = domain(owner=reseller)
    factories.make_mailbox(dom.id, owner_id=reseller.id)
    sub = account(owner=reseller, creator=reseller)
    with pytest.raises(BadRequest, match="Not enough resources") as info:
        services.set_user_limits(reseller, sub, {"mailboxes": 2})  # only 1 left
    assert info.value.status == 424 and info.value.field == "mailboxes"
    db.session.rollback()
    assert (maximum(reseller, "mailboxes"), maximum(sub, "mailboxes")) == (2, 0)


def test_unlimited_only_from_an_unlimited_reseller(app):
    reseller = account("Resellers")
    sub = account(owner=reseller, creator=reseller)
    with pytest.raises(BadRequest, match="You're not allowed to define unlimited values"):
        services.set_user_limits(reseller, sub, {"mailboxes": -1})
    db.session.rollback()
    services.set_user_limits(superadmin(), reseller, {"mailboxes": -1})
    services.set_user_limits(reseller, sub, {"mailboxes": -1})
    assert (maximum(reseller, "mailboxes"), maximum(sub, "mailboxes")) == (-1, -1)


def test_demotion_returns_the_pool(app):
    reseller = account("Resellers")
    sub = account(owner=reseller, creator=reseller)
    services.set_user_limits(reseller, sub, {"mailboxes": 2, "mailbox_aliases": 1})
    set_role(sub, "SimpleUsers")  # RoleChanged
    assert (maximum(reseller, "mailboxes"), maximum(reseller, "mailbox_aliases")) == (2, 2)
    assert maximum(sub, "mailboxes") == 0
    # AccountModified after the fact does not pay twice.
    signals.send(signals.account_modified, oldaccount={"role": "DomainAdmins"}, newaccount=sub)
    assert maximum(reseller, "mailboxes") == 2


def test_who_may_set_limits(app):
    reseller, other = account("Resellers"), account("Resellers")
    sub = account(owner=reseller, creator=reseller)
    for actor, target in ((other, sub), (sub, sub), (reseller, reseller), (reseller, other)):
        with pytest.raises(PermissionDenied):
            services.set_user_limits(actor, target, {"mailboxes": 0})
    with pytest.raises(BadRequest, match="Invalid limit"):
        services.set_user_limits(superadmin(), sub, {"mailboxes": -2})
    with pytest.raises(BadRequest, match="Unknown limit domains"):
        services.set_user_limits(superadmin(), sub, {"domains": 1})  # reseller-only limit


# --- domain limits ------------------------------------------------------------------------
def test_domain_limits(app):
    admin, other_admin = account(), account()
    dom = domain(admins=[admin])
    rows = db.session.scalars(
        select(DomainObjectLimit).where(DomainObjectLimit.domain_id == dom.id)
    )
    assert {r.name: r.max_value for r in rows} == {
        "domain_aliases": 2, "mailboxes": 2, "mailbox_aliases": 2, "domain_admins": 2,
    }  # fmt: skip
    factories.make_mailbox(dom.id)
    factories.make_mailbox(dom.id)
    with pytest.raises(LimitReached, match="^Mailboxes: limit reached$"):
        can_create(dom, "mailboxes")
    public_alias(dom, "a")
    can_create(dom, "mailbox_aliases")  # the 2 internal self-aliases do not count
    factories.grant_domain(other_admin.id, dom.id)
    with pytest.raises(LimitReached, match="^Domain admins: limit reached$"):
        can_create(dom, "domain_admins")
    db.session.add_all(DomainAlias(name=f"da{i}.test", target_id=dom.id) for i in range(2))
    db.session.commit()
    with pytest.raises(LimitReached, match="^Domain aliases: limit reached$"):
        can_create(dom, "domain_aliases")
    services.set_domain_limits(superadmin(), dom, {"mailboxes": -1})
    can_create(dom, "mailboxes", count=50)
    params.set("limits.enable_domain_limits", "no")
    can_create(dom, "domain_aliases", count=50)


# --- Resources tabs -----------------------------------------------------------------------


def test_extra_limit_templates(app):
    def extra(sender, **kw):
        return [("relay_domains", "Relay domains", "How many relay domains"),
                LimitTemplate("widgets", "Widgets", count=lambda u: 5)]  # fmt: skip

    with signals.get_extra_limit_templates.connected_to(extra, sender=app):
        reseller = account("Resellers")
        assert maximum(reseller, "relay_domains") == 0  # no parameter: the template default
        with pytest.raises(LimitReached, match="^Relay domains: limit reached$"):
            can_create(reseller, "relay_domains")
        services.set_user_limits(superadmin(), reseller, {"widgets": 5})
        with pytest.raises(LimitReached, match="^Widgets: limit reached$"):
            can_create(reseller, "widgets")


def test_limits_parameters(app):
    assert params.get("limits.enable_admin_limits") is True
    assert params.definition("limits.enable_domain_limits").default is False
    assert params.definition("limits.deflt_user_mailboxes_limit").default == 0
    with pytest.raises(params.ParamError, match="Invalid limit"):
        params.definition("limits.deflt_domain_mailboxes_limit").parse("-2")
    assert ("limits", "Limits") in params.applications()


def test_load_initial_data_gives_existing_rows(app):
    existing = user(factories.make_user(role="DomainAdmins"))
    result = app.test_cli_runner().invoke(args=["load-initial-data"])
    assert "Created limits for" in result.output
    assert maximum(existing, "mailboxes") == 2


def test_disabled_plugin_sends_nothing():
    bare = make_app()
    with bare.app_context():
        with pytest.raises(KeyError):
            params.definition("limits.enable_admin_limits")
        assert signals.send(signals.can_create_object, context=None, object_type="x", count=1) == []
