"""Tenants for the isolation tests (issue 11): who may manage which account.

a.test is owned by reseller r1; b.test by reseller r2 (whose own mailbox is r2@a.test, so
r1 sees it); c.test by reseller r3 (no mailbox: r1 never sees it). Domain admins: a1 and a2
of a.test (peers), ax of a.test *and* b.test, b1 of b.test. Simple users: u (the simple-user
actor), ua in a.test, ub in b.test, uo in b.test created by r1 (r1 sees it as its owner).
s2 is a second super admin with a mailbox in a.test; "admin" is the default super admin.
"""

from sqlalchemy import select

from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, User
from tests import factories

ACTORS = ("admin", "r1", "a1", "u")
TARGETS = ("s2", "r2", "r3", "a1", "a2", "ax", "b1", "ua", "ub", "uo", "self")
OK = "ok"
# actor -> target -> outcome of a change (403 = seen but not manageable, 404 = not seen).
# Simple users hold no accounts.* permission at all: 403 before any lookup.
EXPECTED = {
    "admin": {target: OK for target in TARGETS},
    "r1": {"s2": 404, "r2": 403, "r3": 404, "a1": OK, "a2": OK, "ax": 403, "b1": 404,
           "ua": OK, "ub": 404, "uo": 403, "self": 403},
    "a1": {"s2": 404, "r2": 404, "r3": 404, "a1": 403, "a2": 403, "ax": 403, "b1": 404,
           "ua": OK, "ub": 404, "uo": 404, "self": 403},
    "u": {target: 403 for target in TARGETS},
}  # fmt: skip


def populate() -> dict:
    """Create the tenants; return ids by name (domains by name too)."""
    ids = {"admin": db.session.scalar(select(User.id).where(User.username == "admin"))}
    for name in ("a.test", "b.test", "c.test"):
        ids[name] = factories.make_domain(name)
    ids["r1"] = factories.make_user("Resellers", username="r1")
    ids["r2"] = factories.make_mailbox(ids["a.test"], "r2", role="Resellers")
    ids["r3"] = factories.make_user("Resellers", username="r3")
    for domain, owner in (("a.test", "r1"), ("b.test", "r2"), ("c.test", "r3")):
        db.session.get(Domain, ids[domain]).owner_id = ids[owner]
    ids["s2"] = factories.make_mailbox(ids["a.test"], "s2", role="SuperAdmins")
    for name, domains in (("a1", ["a.test"]), ("a2", ["a.test"]), ("ax", ["a.test", "b.test"]),
                          ("b1", ["b.test"])):  # fmt: skip
        ids[name] = factories.make_mailbox(ids[domains[0]], name, role="DomainAdmins")
        for domain in domains:
            factories.grant_domain(ids[name], ids[domain])
    ids["u"] = factories.make_mailbox(ids["a.test"], "u")
    ids["ua"] = factories.make_mailbox(ids["a.test"], "ua")
    ids["ub"] = factories.make_mailbox(ids["b.test"], "ub")
    ids["uo"] = factories.make_mailbox(ids["b.test"], "uo", owner_id=ids["r1"])
    db.session.commit()
    return ids


def target_id(ids: dict, actor: str, target: str) -> int:
    """Id of *target* ("self" = the actor)."""
    return ids[actor if target == "self" else target]


def cases():
    """(actor, target, expected outcome) for every pair."""
    return [(a, t, EXPECTED[a][t]) for a in ACTORS for t in TARGETS]


def post_mail_tab(client, account_id, **fields):
    """POST the account's Mail tab (quota following the domain) with *fields*."""
    data = {"mail-use_domain_quota": "y", **{f"mail-{k}": v for k, v in fields.items()}}
    return client.post(f"/identities/accounts/{account_id}/tab/mail", data=data)
