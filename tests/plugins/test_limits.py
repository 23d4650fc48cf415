"""Limits and resellers (reference §10 limits) at service and signal level."""

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from modoboa_flask import params, signals, tabs
from modoboa_flask.accounts import set_role
from modoboa_flask.exceptions import BadRequest, LimitReached, PermissionDenied
from modoboa_flask.extensions import db
from modoboa_flask.models import (
    Alias,
    Domain,
    DomainAlias,
    DomainObjectLimit,
    Log,
    Mailbox,
    User,
    UserObjectLimit,
)
from modoboa_flask.permissions import assignable_roles
from modoboa_flask.plugins.limits import LimitTemplate, services
from tests import factories
from tests.conftest import _reset_database, make_app

LIMITS = "modoboa_flask.plugins.limits"
USER_DEFAULTS = {
    f"limits.deflt_user_{n}_limit": "2"
    for n in ("domains", "domain_aliases", "mailboxes", "mailbox_aliases", "domain_admins")
}
DOMAIN_DEFAULTS = {f"limits.deflt_domain_{n}_limit": "2" for n in
                   ("domain_aliases", "mailboxes", "mailbox_aliases", "domain_admins")}  # fmt: skip


@pytest.fixture
def app():
    """The app with the limits plugin, admin limits 2 each, domain limits on at 2 each."""
    defaults = {"core.rounds_number": 1000, "limits.enable_domain_limits": "yes"}
    app = make_app(PLUGINS=[LIMITS], PARAMETER_DEFAULTS={**defaults, **USER_DEFAULTS,
                                                          **DOMAIN_DEFAULTS})  # fmt: skip
    with app.app_context():
        _reset_database()
        from modoboa_flask.accounts import load_initial_data

        load_initial_data()
    with app.test_request_context():  # FlaskForm tabs need a request
        yield app
        db.session.rollback()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def user(user_id) -> User:
    return db.session.get(User, user_id)


def superadmin() -> User:
    """The super admin load_initial_data created (ids differ between databases)."""
    return db.session.scalar(select(User).where(User.username == "admin"))


def account(role="DomainAdmins", owner=None, creator=None) -> User:
    """A new account announced with AccountCreated, as the identities services do."""
    new = user(factories.make_user(role=role, owner_id=owner.id if owner else None))
    signals.send(signals.account_created, account=new, creator=creator)
    db.session.commit()
    return new


def domain(owner=None, admins=()) -> Domain:
    new = db.session.get(
        Domain,
        factories.make_domain(owner_id=owner.id if owner else None, admins=[a.id for a in admins]),
    )
    signals.send(signals.domain_created, user=owner, domain=new)
    db.session.commit()
    return new


def can_create(context, object_type, count=1):
    signals.send(signals.can_create_object, context=context, object_type=object_type, count=count)


def maximum(owner, name) -> int:
    return db.session.scalar(
        select(UserObjectLimit.max_value).where(
            UserObjectLimit.user_id == owner.id, UserObjectLimit.name == name
        )
    )


def public_alias(dom, local):
    db.session.add(Alias(address=f"{local}@{dom.name}", domain_id=dom.id))
    db.session.commit()


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
def _tab_ids(editor, target):
    return [t.id for t in signals.collect(signals.extra_account_form, user=editor, account=target)]


def test_account_tab_visibility(app):
    boss = superadmin()
    reseller = account("Resellers")
    sub = account(owner=reseller, creator=reseller)
    assert _tab_ids(boss, sub) == ["resources"]
    assert _tab_ids(boss, reseller) == ["resources"]
    assert _tab_ids(reseller, sub) == ["resources"]
    assert _tab_ids(reseller, reseller) == []  # not on oneself
    assert _tab_ids(sub, sub) == [] and _tab_ids(boss, account("SimpleUsers")) == []
    params.set("limits.enable_admin_limits", "no")
    assert _tab_ids(boss, sub) == []


def test_account_tab_fields_bind_and_save(app):
    reseller = account("Resellers")
    sub = account(owner=reseller, creator=reseller)
    (tab,) = signals.collect(signals.extra_account_form, user=reseller, account=sub)
    form = tabs.bind(tab, reseller, sub)
    names = [f.name for f in form if f.type == "StringField"]
    assert names == ["resources-mailboxes", "resources-mailbox_aliases"]  # reseller-only hidden
    (reseller_tab,) = signals.collect(
        signals.extra_account_form, user=superadmin(), account=reseller
    )
    assert (
        len([f for f in tabs.bind(reseller_tab, superadmin(), reseller) if f.type == "StringField"])
        == 5
    )
    from flask import render_template

    html = render_template(tab.template, form=form, tab=tab)
    assert "0 / 0" in html and 'data-limit="mailboxes"' in html

    data = MultiDict({"resources-mailboxes": "1", "resources-mailbox_aliases": "-2"})
    form = tabs.bind(tab, reseller, sub, formdata=data)
    assert not tabs.save_tab(tab, reseller, sub, form)
    assert form["mailbox_aliases"].errors == ["Invalid limit"]
    form = tabs.bind(tab, reseller, sub, formdata=MultiDict(
        {"resources-mailboxes": "5", "resources-mailbox_aliases": "0"}))  # fmt: skip
    assert not tabs.save_tab(tab, reseller, sub, form)
    assert form["mailboxes"].errors == ["Not enough resources"]
    form = tabs.bind(tab, reseller, sub, formdata=MultiDict(
        {"resources-mailboxes": "1", "resources-mailbox_aliases": "2"}))  # fmt: skip
    assert tabs.save_tab(tab, reseller, sub, form)
    db.session.expire_all()
    assert (maximum(sub, "mailboxes"), maximum(reseller, "mailboxes")) == (1, 1)
    log = db.session.scalar(select(Log).where(Log.object_type == "User", Log.action == "modify"))
    assert log.changes == {"limit.mailbox_aliases": [0, 2], "limit.mailboxes": [0, 1]}


def test_domain_tab_sets_the_four_limits(app):
    reseller = account("Resellers")
    dom = domain(owner=reseller)
    (tab,) = signals.collect(signals.extra_domain_form, user=reseller, domain=dom)
    names = ("domain_aliases", "mailboxes", "mailbox_aliases", "domain_admins")
    data = MultiDict({f"resources-{n}": "3" for n in names})
    assert tabs.save_tab(tab, reseller, dom, tabs.bind(tab, reseller, dom, formdata=data))
    rows = db.session.scalars(
        select(DomainObjectLimit).where(DomainObjectLimit.domain_id == dom.id)
    )
    assert {r.max_value for r in rows} == {3}
    admin = account()
    assert signals.collect(signals.extra_domain_form, user=admin, domain=dom) == []
    params.set("limits.enable_domain_limits", "no")
    assert signals.collect(signals.extra_domain_form, user=reseller, domain=dom) == []


# --- extension points and parameters ------------------------------------------------------
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
