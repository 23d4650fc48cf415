"""Each check's pass and fail cases, against a real BIND serving test zones."""

import pytest

from modoboa_flask.blueprints.dns import services
from modoboa_flask.extensions import db
from modoboa_flask.models import DNSBLResult, Domain, MXRecord

from .conftest import add_domain, set_param


def run(name, **options):
    """Create *name*, check it, return {check: Result} and the stored report."""
    domain_id = add_domain(name)
    domain = db.session.get(Domain, domain_id)
    outcome = services.check_domain(domain, services.Options(timeout=2, **options))
    db.session.commit()
    return outcome.results, services.report(domain)


def test_a_well_configured_domain_passes_every_check(dns_app):
    with dns_app.app_context():
        results, report = run("good.org")
    assert {k: r.status for k, r in results.items()} == {
        "mx": "ok", "dnsbl": "ok", "spf": "ok", "dkim": "unknown", "dmarc": "ok",
        "mta_sts": "ok", "autoconfig": "ok", "rdns": "ok", "verification": "unknown",
    }  # fmt: skip
    assert report["status"] == "ok"
    assert report["mx"] == [{"name": "mail.good.org", "address": "192.0.2.10", "valid": True}]
    assert {(r["provider"], r["listed"]) for r in report["dnsbl"]} == {
        ("dnsbl-one.org", False), ("dnsbl-two.org", False)
    }  # fmt: skip
    assert "1 DNS lookups" in results["spf"].message


def test_broken_records_are_errors_with_the_record_to_publish(dns_app):
    with dns_app.app_context():
        results, report = run("broken.net")
    spf, dmarc = results["spf"], results["dmarc"]
    assert spf.status == "error" and "frobnicate" in spf.message
    assert spf.record == 'broken.net. IN TXT "v=spf1 mx -all"'
    assert dmarc.status == "error"
    assert "p= must be none, quarantine or reject" in dmarc.message
    assert "pct= must be a number from 0 to 100" in dmarc.message
    assert dmarc.record.startswith('_dmarc.broken.net. IN TXT "v=DMARC1; p=none')
    assert results["mta_sts"].status == "error" and "id=" in results["mta_sts"].message
    # PTR of 192.0.2.20 names a host that does not resolve back to it.
    assert results["rdns"].status == "warning"
    assert "does not resolve back" in results["rdns"].message
    assert "20.2.0.192.in-addr.arpa. IN PTR mx.broken.net." in results["rdns"].record
    autoconfig = results["autoconfig"]
    assert autoconfig.status == "warning" and "autoconfig.broken.net" in autoconfig.message
    assert "_imaps._tcp.broken.net. IN SRV 0 1 993 mx.broken.net." in autoconfig.record
    assert report["status"] == "error"


def test_a_listed_private_mx_address_is_checked_and_reported(dns_app):
    with dns_app.app_context():
        results, report = run("listed.org")
        rows = db.session.scalars(db.select(DNSBLResult).order_by(DNSBLResult.provider)).all()
        assert [(r.provider, r.status) for r in rows] == [
            ("dnsbl-one.org", "127.0.0.2"), ("dnsbl-two.org", "")
        ]  # fmt: skip
    assert results["dnsbl"].status == "error"
    assert "127.0.0.2 (mx.listed.org) on dnsbl-one.org" in results["dnsbl"].message
    assert {"provider": "dnsbl-one.org", "address": "127.0.0.2", "listed": True,
            "status": "127.0.0.2"} in report["dnsbl"]  # fmt: skip
    # Eleven includes: over RFC 7208's limit of ten lookups.
    assert results["spf"].status == "error" and "11 DNS lookups" in results["spf"].message
    # rua at another domain that publishes no authorisation record.
    assert results["dmarc"].status == "warning"
    assert "agg@reports.good.org" in results["dmarc"].message
    assert "listed.org._report._dmarc" in results["dmarc"].message


def test_spf_that_does_not_authorise_the_mx_is_a_warning(dns_app):
    with dns_app.app_context():
        results, _report = run("spfmiss.org")
    assert results["spf"].status == "warning"
    assert "mail.good.org (192.0.2.10)" in results["spf"].message
    assert results["dmarc"].status == "warning" and "No DMARC record" in results["dmarc"].message


def test_missing_spf_suggests_mx_and_the_valid_networks(dns_app):
    with dns_app.app_context():
        set_param("admin.valid_mxs", "192.0.2.0/24")
        results, _report = run("nospf.org")
    assert results["spf"].status == "warning" and "No SPF record" in results["spf"].message
    assert results["spf"].record == 'nospf.org. IN TXT "v=spf1 mx ip4:192.0.2.0/24 -all"'


def test_no_mx_and_null_mx_are_errors(dns_app):
    with dns_app.app_context():
        nomx, report = run("nomx.org")
        nullmx, _ = run("nullmx.org")
    assert nomx["mx"].status == "error" and "has no MX record" in nomx["mx"].message
    assert nomx["mx"].record == "nomx.org. IN MX 10 mail.nomx.org."
    assert nomx["dnsbl"].status == "unknown"  # no MX address: nothing to look up
    assert report["mx"] == [] and report["dnsbl"] == [] and report["mx_check"]["status"] == "error"
    assert nullmx["mx"].status == "error" and "null MX" in nullmx["mx"].message


@pytest.mark.parametrize(
    ("networks", "good", "listed"),
    [("192.0.2.0/24", "ok", "error"), ("127.0.0.0/8 192.0.2.0/24", "ok", "ok"), ("", "ok", "ok")],
)
def test_valid_mxs_marks_the_mx_addresses_inside_it(dns_app, networks, good, listed):
    with dns_app.app_context():
        set_param("admin.valid_mxs", networks)
        good_results, good_report = run("good.org")
        listed_results, listed_report = run("listed.org")
    assert good_results["mx"].status == good and good_report["mx"][0]["valid"] is True
    assert listed_results["mx"].status == listed
    assert listed_report["mx"][0]["valid"] is (listed == "ok")
    if listed == "error":
        assert "MX record for domain listed.org is invalid" in listed_results["mx"].message


def test_disabled_mx_and_dnsbl_checks(dns_app):
    with dns_app.app_context():
        set_param("admin.enable_mx_checks", "no")
        set_param("admin.enable_dnsbl_checks", "no")
        results, report = run("listed.org")
        assert db.session.scalar(db.select(db.func.count(MXRecord.id))) == 1
    assert results["mx"].status == "unknown" and "disabled" in results["mx"].message
    assert results["dnsbl"].status == "unknown" and report["dnsbl"] == []
    assert report["dnsbl"] == [] and report["dnsbl"] is not None


def test_reserved_names_are_recognised():
    assert services.is_reserved("shop.test") and services.is_reserved("localhost")
    assert services.is_reserved("a.example") and services.is_reserved("x.invalid.")
    assert not services.is_reserved("example.com") and not services.is_reserved("test.org")
