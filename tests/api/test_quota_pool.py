"""The quota pool rule and Modoboa 1.6's quota and domain alias behaviours through API v1."""

from sqlalchemy import select

from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, Domain, DomainAlias, Mailbox
from tests.factories import make_domain
from tests.quota_pool_world import quotas


# --- API v1 -----------------------------------------------------------------------------------
def test_api_raise_updates_every_follower(app, world):
    """Two followers at the domain quota: a raise is never refused, both follow (Modoboa 1.6)."""
    with app.app_context():
        domain = db.session.get(Domain, world["dom_a"])
        domain.default_mailbox_quota = 100
        for mailbox in db.session.scalars(select(Mailbox).where(Mailbox.domain_id == domain.id)):
            mailbox.use_domain_quota, mailbox.quota = True, 50
        db.session.commit()
    su = world["clients"]["super"]
    response = su.put(f"domains/{world['dom_a']}/", json={"name": "a.test", "quota": 1000})
    assert response.status_code == 200, response.json
    assert {q for q, follows in quotas(app, world["dom_a"]).values() if follows} == {1000}
    # Lowering: the followers would hold 2 x 900 MB, more than 900: refused with the numbers.
    response = su.put(f"domains/{world['dom_a']}/", json={"name": "a.test", "quota": 900})
    assert response.status_code == 400 and "1800 MB in total" in str(response.json)


def test_api_keeps_an_explicit_quota_sent_with_use_domain_quota(app, world):
    mailbox = {"full_address": "kept@a.test", "quota": 5, "use_domain_quota": True}
    body = {"username": "kept@a.test", "password": "Toto1234", "role": "SimpleUsers",
            "mailbox": mailbox}  # fmt: skip
    response = world["clients"]["super"].post("accounts/", json=body)
    assert response.status_code == 201, response.json
    assert response.json["mailbox"]["quota"] == 5
    assert response.json["mailbox"]["use_domain_quota"] is True
    assert quotas(app, world["dom_a"])["kept"] == (5, True)


def test_api_pool_binds_super_admins(app, world):
    # a.test: 100 MB, admin 0 + user 10 allocated: 90 left.
    body = {"username": "big@a.test", "password": "Toto1234", "role": "SimpleUsers",
            "mailbox": {"full_address": "big@a.test", "quota": 95}}  # fmt: skip
    response = world["clients"]["super"].post("accounts/", json=body)
    assert response.status_code == 400
    assert "what is left of the domain pool (90M of 100M)" in str(response.json)
    body["mailbox"]["quota"] = 90
    assert world["clients"]["super"].post("accounts/", json=body).status_code == 201


def test_api_domain_alias_target_may_change_within_scope(app, world):
    su = world["clients"]["super"]
    url = f"domainaliases/{world['domalias_a']}/"
    response = su.put(url, json={"name": "a-alias.test", "target": world["dom_b"]})
    assert response.status_code == 200, response.json
    assert response.json["target"] == world["dom_b"]
    with app.app_context():
        assert db.session.get(DomainAlias, world["domalias_a"]).target_id == world["dom_b"]
        internal = db.session.scalar(select(Alias).where(Alias.address == "@a-alias.test"))
        assert internal.domain_id == world["dom_b"]
        assert [r.address for r in internal.recipients] == ["@b.test"]
    # The reseller owns a.test only: b.test is out of scope, and nothing changes.
    reseller = world["clients"]["reseller"]
    response = reseller.put(url.replace(str(world["domalias_a"]), str(world["domalias_b"])),
                            json={"name": "b-alias.test", "target": world["dom_a"]})  # fmt: skip
    assert response.status_code == 404  # b-alias.test is not the reseller's to see
    response = su.put(url, json={"name": "a-alias.test", "target": 99999})
    assert response.status_code == 400 and "target" in response.json


def test_api_domain_alias_retarget_to_own_name_is_refused(app, world):
    su = world["clients"]["super"]
    with app.app_context():
        other = make_domain("c.test")
        db.session.commit()
    response = su.put(f"domainaliases/{world['domalias_a']}/", json={"name": "c.test",
                                                                     "target": other})  # fmt: skip
    assert response.status_code == 400
