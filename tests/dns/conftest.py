"""A real BIND serving good, broken and DNSBL-listed zones; an SMTP sink; apps using both."""

import email
import email.policy

import pytest

from modoboa_flask import params
from modoboa_flask.extensions import db
from tests import factories
from tests.conftest import fresh_app
from tests.peers import dns as dns_peer
from tests.peers import require
from tests.peers.smtpsink import SmtpSink

PROOF_TOKEN = "modoboa-verification=0123456789abcdef"
# Eleven includes: one DNS lookup over the limit of ten.
_INCLUDES = " ".join(f"include:s{i}.listed.org" for i in range(11))
ZONES = {
    "good.org": [
        "@ MX 10 mail",
        "mail A 192.0.2.10",
        '@ TXT "v=spf1 mx -all"',
        '_dmarc TXT "v=DMARC1; p=reject; rua=mailto:dmarc@good.org"',
        '_mta-sts TXT "v=STSv1; id=2026"',
        '_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tls@good.org"',
        "autoconfig CNAME mail",
        "autodiscover CNAME mail",
        "_imaps._tcp SRV 0 1 993 mail",
        "_submissions._tcp SRV 0 1 465 mail",
        "_submission._tcp SRV 0 1 587 mail",
        "reports MX 10 mail",
    ],
    "broken.net": [
        "@ MX 10 mx",
        "mx A 192.0.2.20",
        '@ TXT "v=spf1 ip4:198.51.100.0/24 frobnicate -all"',
        '_dmarc TXT "v=DMARC1; p=maybe; pct=150"',
        '_mta-sts TXT "v=STSv1"',
    ],
    "listed.org": [
        "@ MX 10 mx",
        "mx A 127.0.0.2",
        f'@ TXT "v=spf1 {_INCLUDES} -all"',
        *(f's{i} TXT "v=spf1 -all"' for i in range(11)),
        '_dmarc TXT "v=DMARC1; p=none; rua=mailto:agg@reports.good.org"',
    ],
    "spfmiss.org": [
        "@ MX 10 mail.good.org.",
        '@ TXT "v=spf1 ip4:203.0.113.0/24 -all"',
    ],
    "nospf.org": ["@ MX 10 mail.good.org."],
    "nomx.org": ["@ A 192.0.2.99"],
    "proof.org": [
        "@ MX 10 mail.good.org.",
        '@ TXT "v=spf1 mx -all"',
        '_dmarc TXT "v=DMARC1; p=none"',
        f'_modoboa-verification TXT "{PROOF_TOKEN}"',
    ],
    "nullmx.org": ["@ MX 0 ."],
    "2.0.192.in-addr.arpa": ["10 PTR mail.good.org.", "20 PTR nowhere.broken.net."],
    # DNSBL zones: 127.0.0.2 (listed.org's MX) is listed by one of them.
    "dnsbl-one.org": ["2.0.0.127 A 127.0.0.2", '2.0.0.127 TXT "listed for testing"'],
    "dnsbl-two.org": [],
}
PROVIDERS = "dnsbl-one.org,dnsbl-two.org"


@pytest.fixture(scope="session")
def dns_server():
    """One named for the whole run (starting it costs about a second)."""
    require(dns_peer.available, "BIND's named is needed (apt-get install bind9)")
    with dns_peer.DnsServer(ZONES) as server:
        yield server


@pytest.fixture
def sink():
    """A real SMTP server collecting the alerts."""
    server = SmtpSink()
    yield server
    server.stop()


def mails(sink) -> list:
    """What *sink* received, as (envelope, parsed message) pairs."""
    return [
        (m, email.message_from_bytes(m.data, policy=email.policy.default))
        for m in sink.state.messages
    ]


def dns_config(port, sink=None, **extra) -> dict:
    """App settings pointing dnspython at 127.0.0.1:*port* and mail at *sink*."""
    config = {"DNS_RESOLVERS": f"127.0.0.1:{port}", "DNSBL_PROVIDERS": PROVIDERS}
    if sink is not None:
        config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port)
    return config | extra


@pytest.fixture
def dns_app(dns_server, sink):
    """An app resolving through the test BIND and mailing through the sink."""
    app = fresh_app(**dns_config(dns_server.port, sink))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def add_domain(name, admin_email=None, **fields) -> int:
    """Create *name* (optionally administered by a domain admin with *admin_email*)."""
    admins = ()
    if admin_email:
        admins = (factories.make_user(role="DomainAdmins", username=admin_email,
                                      email=admin_email),)  # fmt: skip
    return factories.make_domain(name, admins=admins, **fields)


def set_param(key, value):
    """Set a global parameter and commit."""
    params.set(key, value)
    db.session.commit()
