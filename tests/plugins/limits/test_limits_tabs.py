"""The Resources tabs of the limits plugin on accounts and domains."""

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from modoboa_flask import params, signals, tabs
from modoboa_flask.extensions import db
from modoboa_flask.models import (
    DomainObjectLimit,
    Log,
)
from tests.plugins.limits.world import (
    account,
    domain,
    maximum,
    superadmin,
)


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
