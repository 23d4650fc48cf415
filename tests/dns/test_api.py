"""`GET /api/v1/domains/{pk}/dns/`: the stored DNS health, as the DNS tab shows it."""

from modoboa_flask.extensions import db
from modoboa_flask.models import User
from tests import factories
from tests.api.conftest import ApiClient, make_token

from .conftest import add_domain


def test_dns_of_a_domain(dns_app):
    with dns_app.app_context():
        domain_id = add_domain("listed.org")
        admin = db.session.scalar(db.select(User.id).where(User.username == "admin"))
        api = ApiClient(dns_app, make_token(admin))
    never = api.get(f"domains/{domain_id}/dns/").get_json()
    assert never["checked_at"] is None and never["mx"] == [] and never["dnsbl"] == []
    assert never["spf"] == {"status": "unknown", "message": "Not checked yet.", "record": "",
                            "checked_at": None}  # fmt: skip
    assert dns_app.test_cli_runner().invoke(args=["check-mx"]).exit_code == 0
    body = api.get(f"domains/{domain_id}/dns/").get_json()
    assert body["checked_at"].endswith("Z") and body["status"] == "error"
    assert body["mx"] == [{"name": "mx.listed.org", "address": "127.0.0.2", "valid": True}]
    assert {"provider": "dnsbl-one.org", "address": "127.0.0.2", "listed": True,
            "status": "127.0.0.2"} in body["dnsbl"]  # fmt: skip
    assert {"provider": "dnsbl-two.org", "address": "127.0.0.2", "listed": False} in body["dnsbl"]
    for key in ("spf", "dkim", "dmarc", "mta_sts", "autoconfig", "rdns", "mx_check",
                "dnsbl_check"):  # fmt: skip
        assert set(body[key]) == {"status", "message", "record", "checked_at"}
    assert body["spf"]["status"] == "error" and body["dnsbl_check"]["status"] == "error"
    assert "checks" not in body


def test_dns_of_a_domain_out_of_scope_is_404(dns_app):
    with dns_app.app_context():
        mine = add_domain("good.org")
        other = add_domain("listed.org")
        admin = factories.make_user(role="DomainAdmins")
        factories.grant_domain(admin, mine)
        api = ApiClient(dns_app, make_token(admin))
    assert api.get(f"domains/{mine}/dns/").status_code == 200
    assert api.get(f"domains/{other}/dns/").status_code == 404
    assert api.get("domains/999999/dns/").status_code == 404
