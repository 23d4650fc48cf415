"""The batched path writes exactly what the row-by-row path (the services) writes."""

from sqlalchemy import select
from sqlalchemy.orm import aliased

from modoboa_flask.extensions import db
from modoboa_flask.models import (
    Alias,
    AliasRecipient,
    Domain,
    Log,
    Mailbox,
    Quota,
    User,
    UserObjectLimit,
)
from tests import factories
from tests.conftest import fresh_app

from .conftest import run

SETUP = """\
domain;e.org;0;0;True
domain;pool.org;100;10;True
relaydomain;relay.org;mx.example.net;25;relay;True;False
"""
ROWS = """\
account;a1@d.org;{PLAIN}x;First;Last;True;SimpleUsers;a1@d.org;5
account;a2@d.org;{PLAIN}x;;;False;SimpleUsers;a2@d.org
account;a1@d.org;{PLAIN}x;;;True;SimpleUsers;a1@d.org;5
account;A3@D.org;{PLAIN}x;;;True;SimpleUsers;a3@d.org
account;a4@nowhere.org;{PLAIN}x;;;True;SimpleUsers;a4@nowhere.org
account;taken@d.org;{PLAIN}x;;;True;SimpleUsers;taken@d.org
account;a5@e.org;{PLAIN}x;;;True;SimpleUsers;a5@e.org;1;extra;columns
account;a6@pool.org;{PLAIN}x;;;True;SimpleUsers;a6@pool.org;20
account;a7@relay.org;{PLAIN}x;;;True;SimpleUsers;a7@relay.org
account;a8@d.org;plain;;;True;SimpleUsers;a8@d.org
account;a9@d.org;{PLAIN}x;;;True;SimpleUsers;a9@e.org
alias;l1@d.org;True;a1@d.org;a1+tag@d.org;ext@out.net
alias;l2@d.org;True;l1@d.org;a2@d.org
alias;l1@d.org;True;a1@d.org
alias;l3@d.org;True;nobody@d.org
alias;l4@d.org;True;l4@d.org
alias;l5@d.org;True;not an address
alias;@e.org;True;a5@e.org
alias;l6@nowhere.org;True;a1@d.org
alias;old@d.org;True;a1@d.org
alias;l7@e.org;False;l2@d.org;L1@D.ORG
account;p1@pool.org;{PLAIN}x;;;True;SimpleUsers;p1@pool.org;60
account;p2@pool.org;{PLAIN}x;;;True;SimpleUsers;p2@pool.org;60
account;p3@pool.org;{PLAIN}x;;;True;SimpleUsers;p3@pool.org
alias;r1@e.org;True;a7@relay.org;far@relay.org
"""


def _setup(app):
    """d.org with an admin whose mailbox is taken@d.org, and a public alias old@d.org."""
    with app.app_context():
        domain = factories.make_domain("d.org")
        user_id = factories.make_user(role="DomainAdmins", username="taken-admin")
        factories.make_mailbox(domain, "taken", user_id=user_id)
        factories.grant_domain(user_id, domain)
        db.session.add(Alias(address="old@d.org", domain_id=domain, internal=False))
        db.session.commit()
    assert run(app, SETUP).committed
    with app.app_context():
        pool = db.session.scalar(select(Domain.id).where(Domain.name == "pool.org"))
        factories.grant_domain(user_id, pool)
    return user_id


def _dump(app):
    with app.app_context():
        owner = aliased(User)
        users = db.session.execute(
            select(User.username, User.email, User.password, User.role, User.is_active,
                   User.first_name, User.last_name, owner.username)
            .outerjoin(owner, owner.id == User.owner_id)
            .where(User.username != "admin").order_by(User.username)  # its salt is random
        ).all()  # fmt: skip
        mailboxes = db.session.execute(
            select(Mailbox.address, Domain.name, Mailbox.quota, Mailbox.use_domain_quota,
                   User.username)
            .join(Domain, Domain.id == Mailbox.domain_id).join(User, User.id == Mailbox.user_id)
            .order_by(Domain.name, Mailbox.address)
        ).all()  # fmt: skip
        target = aliased(Alias)
        recipients = db.session.execute(
            select(Alias.address, Alias.internal, Alias.enabled, AliasRecipient.address,
                   AliasRecipient.r_mailbox_id.is_not(None), target.address)
            .outerjoin(AliasRecipient, AliasRecipient.alias_id == Alias.id)
            .outerjoin(target, target.id == AliasRecipient.r_alias_id)
            .order_by(Alias.address, Alias.internal, AliasRecipient.address)
        ).all()  # fmt: skip
        quotas = db.session.scalars(select(Quota.username).order_by(Quota.username)).all()
        logs = db.session.execute(
            select(Log.message, Log.action, Log.object_type, Log.object_repr, Log.changes,
                   Log.username, Log.level).order_by(Log.id)
        ).all()  # fmt: skip
        limits = db.session.execute(
            select(User.username, UserObjectLimit.name, UserObjectLimit.max_value)
            .join(User, User.id == UserObjectLimit.user_id)
            .order_by(User.username, UserObjectLimit.name)
        ).all()  # fmt: skip
        return [list(map(tuple, rows)) for rows in (users, mailboxes, recipients, limits)] + [
            list(quotas),
            [tuple(r) for r in logs],
        ]


RELAY = ["modoboa_flask.plugins.relaydomains"]
DEFAULT_PLUGINS = ["modoboa_flask.plugins.limits", *RELAY]


def _import(fast, batch_size=3, as_domain_admin=False, plugins=RELAY):
    app = fresh_app(PLUGINS=plugins)
    admin_id = _setup(app)
    actor = admin_id if as_domain_admin else None
    report = run(app, ROWS, actor, fast=fast, batch_size=batch_size, continue_on_error=True)
    lines = sorted((line.number, line.status, line.message) for line in report.lines)
    return lines, _dump(app)


def _same(as_domain_admin, plugins=RELAY):
    slow_lines, slow_db = _import(fast=False, as_domain_admin=as_domain_admin, plugins=plugins)
    for size in (2, 1000):
        fast_lines, fast_db = _import(True, size, as_domain_admin, plugins)
        assert fast_lines == slow_lines
        for fast_rows, slow_rows in zip(fast_db, slow_db, strict=True):
            assert fast_rows == slow_rows
    return {number: (status, message) for number, status, message in slow_lines}


def _created(lines):
    return [number for number, (status, _) in sorted(lines.items()) if status == "created"]


def test_batched_and_row_by_row_agree_for_a_super_admin():
    lines = _same(as_domain_admin=False)
    # a7@relay.org: relay domains hold local mailboxes too (split domains); r1 reaches it
    # locally and far@relay.org, which has no mailbox, as an external address.
    assert _created(lines) == [1, 2, 4, 7, 8, 9, 12, 13, 18, 21, 22, 24, 25]
    assert lines[16] == ("error", "Alias l4@d.org can't be a recipient of itself")
    # The pool of pool.org binds super admins too (quota_pool): p2's 60 MB do not fit.
    assert lines[23] == (
        "error",
        "Quota is greater than what is left of the domain pool (20M of 100M)",
    )


def test_batched_and_row_by_row_agree_for_a_domain_admin():
    lines = _same(as_domain_admin=True)
    # e.org is not his: no account, alias or catch-all there; the pool of pool.org applies.
    assert _created(lines) == [1, 2, 4, 8, 12, 13, 22, 24]
    assert lines[7] == ("error", "You don't have access to this domain")
    assert lines[23][0] == "error" and "pool" in lines[23][1]


def test_batched_and_row_by_row_agree_with_the_default_plugins():
    """Limits + relay domains: the limits receiver takes a whole batch, same limit rows."""
    lines = _same(as_domain_admin=False, plugins=DEFAULT_PLUGINS)
    assert _created(lines) == [1, 2, 4, 7, 8, 9, 12, 13, 18, 21, 22, 24, 25]
    app = fresh_app(PLUGINS=DEFAULT_PLUGINS)
    _setup(app)
    run(app, ROWS, fast=True, batch_size=1000, continue_on_error=True)
    with app.app_context():
        owners = select(UserObjectLimit.user_id).join(User, User.id == UserObjectLimit.user_id)
        with_rows = set(db.session.scalars(owners.where(User.username.like("%@%.org"))))
        created = set(db.session.scalars(select(User.id).where(User.username.like("%@%.org"))))
    assert created and with_rows == created  # every imported account has its limit rows
