"""Domain ownership proof: `require_domain_verification` keeps a reseller's new domain out of
Postfix until the TXT token is published (issue 15)."""

import pytest

from modoboa_flask.blueprints.dns import services
from modoboa_flask.blueprints.domains import services as domain_services
from modoboa_flask.exceptions import BadRequest
from modoboa_flask.extensions import db
from modoboa_flask.models import Domain, DomainVerification, Log, User
from tests import factories

from .conftest import PROOF_TOKEN, set_param


def create(role, name, **kwargs):
    """Create *name* through the service as a new account of *role*; return (actor, domain)."""
    actor = db.session.get(User, factories.make_user(role=role))
    domain = domain_services.create_domain(actor, name=name, **kwargs)
    db.session.commit()
    return actor, domain


def test_off_by_default(app):
    with app.app_context():
        _actor, domain = create("Resellers", "gmail.com")
        assert domain.enabled and db.session.scalar(db.select(DomainVerification)) is None


@pytest.mark.parametrize(("role", "pending"), [("Resellers", True), ("SuperAdmins", False)])
def test_new_domains_of_non_super_admins_wait_for_their_proof(app, role, pending):
    with app.app_context():
        set_param("admin.require_domain_verification", "yes")
        _actor, domain = create(role, "gmail.com")
        row = db.session.scalar(db.select(DomainVerification))
        assert domain.enabled is (not pending)  # Postfix reads enabled domains only
        assert (row is not None) is pending
        if pending:
            assert row.token.startswith("modoboa-verification=") and row.enable is True


def test_a_pending_domain_cannot_be_enabled_except_by_a_super_admin(app):
    with app.app_context():
        set_param("admin.require_domain_verification", "yes")
        reseller, domain = create("Resellers", "gmail.com")
        with pytest.raises(BadRequest) as refused:
            domain_services.update_domain(reseller, domain, enabled=True)
        assert refused.value.field == "enabled"
        assert "_modoboa-verification.gmail.com. IN TXT" in refused.value.message
        db.session.rollback()
        domain_services.update_domain(reseller, domain, type="domain", enabled=False)  # edits
        admin = db.session.scalar(db.select(User).where(User.username == "admin"))
        domain_services.update_domain(admin, domain, enabled=True)
        db.session.commit()
        assert domain.enabled and db.session.scalar(db.select(DomainVerification)) is None


def test_a_rename_needs_a_new_proof(app):
    with app.app_context():
        reseller, domain = create("Resellers", "mine.org")
        set_param("admin.require_domain_verification", "yes")
        domain_services.update_domain(reseller, domain, name="gmail.com")
        db.session.commit()
        assert not domain.enabled
        assert db.session.scalar(db.select(DomainVerification.domain_id)) == domain.id


def test_the_check_enables_the_domain_once_the_token_is_published(dns_app):
    with dns_app.app_context():
        set_param("admin.require_domain_verification", "yes")
        _reseller, proven = create("Resellers", "proof.org")
        _reseller, unproven = create("Resellers", "good.org", enabled=False)
        db.session.scalar(
            db.select(DomainVerification).filter_by(domain_id=proven.id)
        ).token = PROOF_TOKEN
        db.session.commit()
        proven_id, unproven_id = proven.id, unproven.id
    # Pending domains are disabled, yet check-mx looks at them.
    result = dns_app.test_cli_runner().invoke(args=["check-mx"])
    assert result.exit_code == 0, result.output
    with dns_app.app_context():
        proven, unproven = db.session.get(Domain, proven_id), db.session.get(Domain, unproven_id)
        assert proven.enabled and not unproven.enabled  # good.org: its creator wanted it off
        assert services.badges_for([proven.id]) == {proven.id: "ok"}
        report = services.report(unproven)
        assert report["verification"]["status"] == "error"
        assert report["verification"]["record"].startswith(
            '_modoboa-verification.good.org. IN TXT "modoboa-verification='
        )
        assert services.badges_for([unproven.id]) == {unproven.id: "unverified"}
        assert db.session.scalar(
            db.select(Log.id).where(Log.message == "Domain 'proof.org' ownership verified")
        )
        assert [r.domain_id for r in db.session.scalars(db.select(DomainVerification))] == [
            unproven.id
        ]


def test_the_dns_tab_shows_the_record_to_publish(dns_app):
    with dns_app.app_context():
        set_param("admin.require_domain_verification", "yes")
        reseller, domain = create("Resellers", "good.org")
        services.check_domain(domain)
        db.session.commit()
        domain_id, reseller_id = domain.id, reseller.id
    from tests.conftest import log_client_in

    client = log_client_in(dns_app, dns_app.test_client(), reseller_id)
    html = client.get(f"/dns/domains/{domain_id}").get_data(as_text=True)
    assert 'id="dns-verification" data-status="error"' in html
    assert "_modoboa-verification.good.org. IN TXT" in html
