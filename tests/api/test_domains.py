"""`domains/` and `domainaliases/` as the spec describes them (§4, §5)."""

from sqlalchemy import select

from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, Domain, DomainAlias, Log, Mailbox, User


def test_create_requires_name_and_quota(world):
    response = world["clients"]["super"].post("domains/", json={})
    assert response.status_code == 400 and {"name", "quota"} <= set(response.json)


def test_create_list_get(app, world):
    su = world["clients"]["super"]
    response = su.post("domains/", json={"name": "New.Test", "quota": 50})
    assert response.status_code == 201
    body = response.json
    assert body == {"pk": body["pk"], "name": "new.test", "quota": 50, "enabled": True,
                    "type": "domain"}  # fmt: skip
    assert "Location" not in response.headers
    names = [d["name"] for d in su.get("domains/").json]
    assert names == sorted(names) and "new.test" in names
    assert su.get(f"domains/{body['pk']}/").json == body
    with app.app_context():
        log = db.session.scalar(select(Log).where(Log.object_type == "Domain"))
        assert (log.channel, log.username, log.action) == ("api", "admin", "create")


def test_create_disabled_relay_domain(world):
    su = world["clients"]["super"]
    body = {"name": "relay.test", "quota": 0, "enabled": False, "type": "relaydomain"}
    response = su.post("domains/", json=body)
    assert response.status_code == 201
    assert response.json["type"] == "relaydomain" and response.json["enabled"] is False


def test_duplicate_and_invalid_names(app, world):
    su = world["clients"]["super"]
    assert "name" in su.post("domains/", json={"name": "a.test", "quota": 1}).json
    for bad in ("not a domain", "-x.test", "a..b"):
        response = su.post("domains/", json={"name": bad, "quota": 1})
        assert response.status_code == 400 and "name" in response.json, bad


def test_quota_change_reaches_mailboxes_following_the_domain(app, world):
    with app.app_context():
        mailbox = db.session.scalar(select(Mailbox).where(Mailbox.user_id == world["user_a"]))
        mailbox.use_domain_quota, mailbox.quota = True, 100
        domain = db.session.get(Domain, world["dom_a"])
        domain.default_mailbox_quota = 100
        db.session.commit()
    su = world["clients"]["super"]
    response = su.put(f"domains/{world['dom_a']}/", json={"name": "a.test", "quota": 1000})
    assert response.status_code == 200 and response.json["quota"] == 1000
    assert response.json["enabled"] is True  # left out: unchanged
    account = su.get(f"accounts/{world['user_a']}/").json
    assert account["mailbox"]["quota"] == 1000


def test_rename_moves_addresses(world):
    su = world["clients"]["super"]
    renamed = su.put(f"domains/{world['dom_a']}/", json={"name": "a42.test", "quota": 100})
    assert renamed.status_code == 200
    account = su.get(f"accounts/{world['user_a']}/").json
    assert account["mailbox"]["full_address"] == "user@a42.test"


def test_put_requires_name_and_quota(world):
    response = world["clients"]["super"].put(f"domains/{world['dom_a']}/", json={})
    assert response.status_code == 400 and {"name", "quota"} <= set(response.json)


def test_delete_keeps_accounts(app, world):
    su = world["clients"]["super"]
    assert su.delete(f"domains/{world['dom_b']}/").status_code == 204
    assert su.get(f"domains/{world['dom_b']}/").status_code == 404
    with app.app_context():
        assert db.session.get(User, world["user_b"]) is not None
        assert db.session.scalar(select(Mailbox).where(Mailbox.domain_id == world["dom_b"])) is None


def test_domain_admin_cannot_create_domains_or_domain_aliases(world):
    da = world["clients"]["da"]
    assert da.post("domains/", json={"name": "x.test", "quota": 1}).status_code == 403
    body = {"name": "x.test", "target": world["dom_a"]}
    assert da.post("domainaliases/", json=body).status_code == 403
    assert da.get("domainaliases/").json == []


def test_domain_alias_lifecycle(app, world):
    su = world["clients"]["super"]
    response = su.post("domainaliases/", json={"name": "other.test", "target": world["dom_a"]})
    assert response.status_code == 201
    pk = response.json["pk"]
    assert response.json == {"pk": pk, "name": "other.test", "target": world["dom_a"],
                             "enabled": True}  # fmt: skip
    with app.app_context():
        internal = db.session.scalar(select(Alias).where(Alias.address == "@other.test"))
        assert internal.internal
    assert "@other.test" not in [a["address"] for a in su.get("aliases/").json]
    listed = su.get("domainaliases/?domain=a.test").json
    assert {a["name"] for a in listed} == {"a-alias.test", "other.test"}
    assert su.get("domainaliases/?domain=unknown.test").json == []
    renamed = su.put(
        f"domainaliases/{pk}/", json={"name": "renamed.test", "target": world["dom_a"]}
    )
    assert renamed.status_code == 200 and renamed.json["enabled"] is True
    assert su.delete(f"domainaliases/{pk}/").status_code == 204
    with app.app_context():
        assert db.session.scalar(select(Alias).where(Alias.address == "@renamed.test")) is None
        assert db.session.get(DomainAlias, pk) is None


def test_domain_alias_target_checks(world):
    su, reseller = world["clients"]["super"], world["clients"]["reseller"]
    missing = su.post("domainaliases/", json={"name": "x.test", "target": 99999})
    assert missing.status_code == 400 and "target" in missing.json
    foreign = reseller.post("domainaliases/", json={"name": "x.test", "target": world["dom_b"]})
    assert foreign.status_code == 400 and foreign.json == {"target": ["Permission denied."]}
    taken = su.post("domainaliases/", json={"name": "a-alias.test", "target": world["dom_b"]})
    assert taken.status_code == 400 and "name" in taken.json
