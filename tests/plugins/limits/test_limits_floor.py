"""An administrator's limit is never lowered below what it already uses (issue 11, point 10).

Before, lowering a domain admin's `mailboxes` limit from 2 to 0 while it owned 2 mailboxes
was accepted and credited the reseller's pool with 2 it had not got back.
"""

import pytest
from werkzeug.datastructures import MultiDict

from modoboa_flask import signals, tabs
from modoboa_flask.exceptions import BadRequest
from modoboa_flask.extensions import db
from modoboa_flask.plugins.limits import services
from tests import factories
from tests.plugins.limits.world import account, domain, maximum, superadmin


def _sub_using(reseller, mailboxes: int):
    """A domain admin of *reseller* holding 2 mailboxes from the pool and using *mailboxes*."""
    dom = domain(owner=reseller)
    sub = account(owner=reseller, creator=reseller)
    services.set_user_limits(reseller, sub, {"mailboxes": 2})
    for _ in range(mailboxes):
        factories.make_mailbox(dom.id, owner_id=sub.id)
    db.session.commit()
    return sub


@pytest.mark.parametrize("by", ["reseller", "superadmin"])
def test_lowering_below_usage_is_refused_and_credits_nothing(app, by):
    reseller = account("Resellers")
    sub = _sub_using(reseller, 2)
    actor = reseller if by == "reseller" else superadmin()
    with pytest.raises(BadRequest) as info:
        services.set_user_limits(actor, sub, {"mailboxes": 1})
    assert info.value.field == "mailboxes"
    assert info.value.message == (
        f"Mailboxes: {sub.username} already uses 2; the limit can't be lower than that (asked 1)."
    )
    db.session.rollback()
    assert (maximum(sub, "mailboxes"), maximum(reseller, "mailboxes")) == (2, 0)


def test_lowering_down_to_usage_returns_only_the_unused_part(app):
    reseller = account("Resellers")
    sub = _sub_using(reseller, 1)
    services.set_user_limits(reseller, sub, {"mailboxes": 1})
    db.session.commit()
    assert (maximum(sub, "mailboxes"), maximum(reseller, "mailboxes")) == (1, 1)
    with pytest.raises(BadRequest, match="already uses 1"):
        services.set_user_limits(reseller, sub, {"mailboxes": 0})


def test_raising_a_limit_still_below_usage_is_allowed(app):
    """A limit already under usage (lowered before this rule) may be raised step by step."""
    reseller = account("Resellers")
    sub = _sub_using(reseller, 2)
    sub_row = services.user_rows(sub)["mailboxes"]
    sub_row.max_value = 0  # legacy data
    db.session.commit()
    services.set_user_limits(superadmin(), sub, {"mailboxes": 1})
    assert maximum(sub, "mailboxes") == 1


def test_resources_tab_shows_the_numbers_on_the_field(app):
    reseller = account("Resellers")
    sub = _sub_using(reseller, 2)
    (tab,) = signals.collect(signals.extra_account_form, user=reseller, account=sub)
    data = MultiDict({"resources-mailboxes": "0", "resources-mailbox_aliases": "0"})
    form = tabs.bind(tab, reseller, sub, formdata=data)
    assert not tabs.save_tab(tab, reseller, sub, form)
    assert form["mailboxes"].errors == [
        f"Mailboxes: {sub.username} already uses 2; the limit can't be lower than that (asked 0)."
    ]
    db.session.expire_all()
    assert (maximum(sub, "mailboxes"), maximum(reseller, "mailboxes")) == (2, 0)
