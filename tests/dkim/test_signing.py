"""Signatures made with our keys and tables verify against the records BIND serves.

One test signs with dkimpy exactly as OpenDKIM would with our KeyTable/SigningTable; the other
runs the real `opendkim` (test mode: the full filter, our tables) on a message. Both verify
with dkimpy, looking the public key up in the test BIND zone. Rotation is run end to end: mail
signed before the rotation still verifies after it, and mail signed after it too.
"""

import re
import subprocess

import dkim
import dns.resolver
import pytest

from modoboa_flask.blueprints.dkim import services, tables
from modoboa_flask.blueprints.dns import services as dns_services
from modoboa_flask.exceptions import Conflict
from modoboa_flask.extensions import db
from tests import factories
from tests.peers import require

from .conftest import admin, domain_named, key_rows, make_key, serving, zone_lines

OPENDKIM = "/usr/sbin/opendkim"
DOMAIN = "signing.org"
MESSAGE = (
    b"From: Alice <alice@signing.org>\r\nTo: bob@example.net\r\nSubject: Hello\r\n"
    b"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@signing.org>\r\n\r\n"
    b"Hello Bob,\r\nsigned mail.\r\n"
)


def dnsfunc(server):
    """A dkimpy TXT lookup asking the test BIND only."""
    resolver = server.resolver()

    def lookup(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        try:
            answer = resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        return b"".join(answer[0].strings)

    return lookup


def write_tables(app, dest):
    """Run `flask generate-dkim-maps` into *dest*."""
    result = app.test_cli_runner().invoke(args=["generate-dkim-maps", "--destdir", str(dest)])
    assert result.exit_code == 0, result.output


def signer_for(dest, sender_domain):
    """(domain, selector, key path) the way OpenDKIM resolves them from our two tables."""

    def rows(name):
        lines = (dest / name).read_text().splitlines()
        return dict(line.split(None, 1) for line in lines if line and not line.startswith("#"))

    keyname = rows("SigningTable")[sender_domain]
    domain, selector, path = rows("KeyTable")[keyname].split(":", 2)
    return domain, selector, path


def dkimpy_sign(dest, message=MESSAGE):
    """Sign like OpenDKIM with our tables: relaxed/simple, the usual headers."""
    domain, selector, path = signer_for(dest, DOMAIN)
    with open(path, "rb") as fh:
        private = fh.read()
    signature = dkim.sign(
        message,
        selector.encode(),
        domain.encode(),
        private,
        canonicalize=(b"relaxed", b"simple"),
        include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
    )
    return signature + message


def first_key_published(app, tmp_path):
    """A domain whose first key is generated, published in BIND, seen, hence active."""
    with app.app_context():
        factories.make_domain(DOMAIN)
        key = make_key(DOMAIN)
        lines = zone_lines(key)
    return lines


def test_dkimpy_signature_with_our_tables_verifies_against_bind(dkim_app, tmp_path):
    lines = first_key_published(dkim_app, tmp_path)
    with serving(dkim_app, {DOMAIN: lines}) as server, dkim_app.app_context():
        result = services.check_now(admin(), domain_named(DOMAIN))
        db.session.commit()
        assert result.status == "ok"
        (key,) = key_rows(domain_named(DOMAIN).id)
        assert (key.state, key.published, key.key_length) == ("active", True, 2048)
        write_tables(dkim_app, tmp_path / "t")
        signed = dkimpy_sign(tmp_path / "t")
        assert dkim.verify(signed, dnsfunc=dnsfunc(server))
        assert not dkim.verify(
            signed.replace(b"signed mail", b"forged mail"), dnsfunc=dnsfunc(server)
        )


def opendkim_sign(dest, work, message=MESSAGE) -> bytes:
    """Run the real opendkim filter (test mode) with our tables; return the signed message."""
    conf = work / "opendkim.conf"
    conf.write_text(
        tables.opendkim_conf(dest, "inet:8891@127.0.0.1")
        # Temporary directories are world-writable up the tree: OpenDKIM would refuse them.
        + "RequireSafeKeys no\nSyslog no\n"
    )
    msg = work / "message.eml"
    msg.write_bytes(message)
    run = subprocess.run(
        [OPENDKIM, "-x", str(conf), "-t", str(msg), "-vvv"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    output = run.stdout + run.stderr
    found = re.search(r"hname='DKIM-Signature' hvalue='([^']*)'", output)
    assert run.returncode == 0 and found, output
    return b"DKIM-Signature: " + found[1].replace("\n", "\r\n").encode() + b"\r\n" + message


def test_real_opendkim_signs_with_our_tables_and_the_signature_verifies(dkim_app, tmp_path):
    require(OPENDKIM, "OpenDKIM is needed (apt-get install opendkim opendkim-tools)")
    lines = first_key_published(dkim_app, tmp_path)
    with serving(dkim_app, {DOMAIN: lines}) as server, dkim_app.app_context():
        services.check_now(admin(), domain_named(DOMAIN))
        db.session.commit()
        write_tables(dkim_app, tmp_path / "t")
        signed = opendkim_sign(tmp_path / "t", tmp_path)
        assert re.search(rb"d=signing\.org;\s+s=modoboa;", signed)
        assert dkim.verify(signed, dnsfunc=dnsfunc(server))


def test_rotation_never_breaks_mail(dkim_app, tmp_path, monkeypatch):
    monkeypatch.setattr(services, "CHECK_INTERVAL", 0)  # two checks in a row
    first_lines = first_key_published(dkim_app, tmp_path)
    with serving(dkim_app, {DOMAIN: first_lines}) as server, dkim_app.app_context():
        services.check_now(admin(), domain_named(DOMAIN))
        db.session.commit()
        write_tables(dkim_app, tmp_path / "before")
        before = dkimpy_sign(tmp_path / "before")
        assert dkim.verify(before, dnsfunc=dnsfunc(server))
        new = make_key(DOMAIN, selector="rot2", key_length=1024, confirm=True)
        both_lines = zone_lines(*key_rows(domain_named(DOMAIN).id))
        new_id = new.id
        # The new record is not published yet: the check says so and activation is refused.
        result = services.check_now(admin(), domain_named(DOMAIN))
        db.session.commit()
        assert (
            result.status == "warning"
            and "rot2" in result.message
            and "rot2._domainkey" in result.record
        )
        with pytest.raises(Conflict, match="has not been seen yet"):
            services.activate_key(admin(), domain_named(DOMAIN), new_id, confirm=True)
        db.session.rollback()
        write_tables(dkim_app, tmp_path / "pending")
        assert signer_for(tmp_path / "pending", DOMAIN)[1] == "modoboa"  # the old key signs

    with serving(dkim_app, {DOMAIN: both_lines}) as server, dkim_app.app_context():
        domain = domain_named(DOMAIN)
        outcome = dns_services.check_domain(domain, dns_services.Options(dnsbl=False))
        db.session.commit()
        assert outcome.results["dkim"].status == "ok"  # the DNS tab's check sees both keys
        assert [k.state for k in key_rows(domain.id)] == ["active", "pending"]
        services.activate_key(admin(), domain, new_id, confirm=True)
        db.session.commit()
        write_tables(dkim_app, tmp_path / "after")
        assert signer_for(tmp_path / "after", DOMAIN)[1] == "rot2"
        after = dkimpy_sign(tmp_path / "after")
        # Mail signed before the rotation (still in transit) and after it both verify.
        assert dkim.verify(before, dnsfunc=dnsfunc(server))
        assert dkim.verify(after, dnsfunc=dnsfunc(server))
        assert b"s=rot2;" in after


def test_an_active_key_missing_from_dns_is_an_error_with_the_record(dkim_app, tmp_path):
    with dkim_app.app_context():
        factories.make_domain(DOMAIN)
        key = make_key(DOMAIN, key_length=1024)
        key.state, key.published = "active", True  # signed once, record since removed
        db.session.commit()
    with serving(dkim_app, {DOMAIN: ['@ TXT "v=spf1 -all"']}), dkim_app.app_context():
        domain = domain_named(DOMAIN)
        outcome = dns_services.check_domain(domain, dns_services.Options(dnsbl=False))
        db.session.commit()
        result = outcome.results["dkim"]
        assert result.status == "error" and "not published" in result.message
        assert result.record.startswith("modoboa._domainkey.signing.org. IN TXT")
        assert key_rows(domain.id)[0].published is False
        assert dns_services.badges_for([domain.id])[domain.id] == "error"
