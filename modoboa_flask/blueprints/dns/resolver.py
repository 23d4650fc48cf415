"""DNS lookups with dnspython against the configured resolvers (`MODOBOA_DNS_RESOLVERS`)."""

from __future__ import annotations

import ipaddress

import dns.exception
import dns.name
import dns.resolver
import dns.reversename
from flask import current_app

# Modoboa 1.6's DNSBL_PROVIDERS, with the three pairs its missing commas fused split apart.
DEFAULT_DNSBL_PROVIDERS = (
    "aspews.ext.sorbs.net", "b.barracudacentral.org", "bad.psky.me", "bl.deadbeef.com",
    "bl.emailbasura.org", "bl.spamcannibal.org", "bl.spamcop.net", "blackholes.five-ten-sg.com",
    "blacklist.woody.ch", "bogons.cymru.com", "cbl.abuseat.org", "cdl.anti-spam.org.cn",
    "combined.abuse.ch", "combined.rbl.msrbl.net", "db.wpbl.info", "dnsbl-1.uceprotect.net",
    "dnsbl-2.uceprotect.net", "dnsbl-3.uceprotect.net", "dnsbl.cyberlogic.net", "dnsbl.inps.de",
    "dnsbl.sorbs.net", "drone.abuse.ch", "duinv.aupads.org", "dul.dnsbl.sorbs.net", "dul.ru",
    "dyna.spamrats.com", "dynip.rothen.com", "http.dnsbl.sorbs.net", "images.rbl.msrbl.net",
    "ips.backscatterer.org", "ix.dnsbl.manitu.net", "korea.services.net", "misc.dnsbl.sorbs.net",
    "noptr.spamrats.com", "ohps.dnsbl.net.au", "omrs.dnsbl.net.au", "osps.dnsbl.net.au",
    "osrs.dnsbl.net.au", "owfs.dnsbl.net.au", "owps.dnsbl.net.au", "orvedb.aupads.org",
    "pbl.spamhaus.org", "phishing.rbl.msrbl.net", "probes.dnsbl.net.au", "proxy.bl.gweep.ca",
    "proxy.block.transip.nl", "psbl.surriel.com", "rbl.interserver.net", "rdts.dnsbl.net.au",
    "relays.bl.gweep.ca", "relays.bl.kundenserver.de", "relays.nether.net",
    "residential.block.transip.nl", "ricn.dnsbl.net.au", "rmst.dnsbl.net.au", "sbl.spamhaus.org",
    "short.rbl.jp", "smtp.dnsbl.sorbs.net", "socks.dnsbl.sorbs.net", "spam.abuse.ch",
    "spam.dnsbl.sorbs.net", "spam.rbl.msrbl.net", "spam.spamrats.com", "spamlist.or.kr",
    "spamrbl.imp.ch", "t3direct.dnsbl.net.au", "tor.dnsbl.sectoor.de",
    "torserver.tor.dnsbl.sectoor.de", "ubl.lashback.com", "ubl.unsubscore.com", "virbl.bit.nl",
    "virus.rbl.jp", "virus.rbl.msrbl.net", "web.dnsbl.sorbs.net", "wormrbl.imp.ch",
    "xbl.spamhaus.org", "zen.spamhaus.org", "zombie.dnsbl.sorbs.net",
)  # fmt: skip


class DnsUnavailable(Exception):
    """No answer could be obtained (timeout, SERVFAIL, no server): the result is unknown."""


def _split(value) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def dnsbl_providers() -> list[str]:
    """The DNSBL zones to query: `MODOBOA_DNSBL_PROVIDERS`, else Modoboa's list."""
    configured = _split(current_app.config.get("DNSBL_PROVIDERS"))
    return [p.lower().rstrip(".") for p in configured] or list(DEFAULT_DNSBL_PROVIDERS)


def _server(entry: str) -> tuple[str, int]:
    """Parse `host[:port]`, `[v6]:port` or a bare IPv6 address."""
    if entry.startswith("["):
        host, _, port = entry[1:].partition("]")
        return host, int(port.lstrip(":") or 53)
    if entry.count(":") == 1:
        host, port = entry.split(":")
        return host, int(port)
    return entry, 53


def make_resolver(timeout: float) -> dns.resolver.Resolver:
    """A resolver asking the configured servers, giving up on one query after *timeout* s."""
    servers = _split(current_app.config.get("DNS_RESOLVERS"))
    if servers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(host, port) for host, port in map(_server, servers)
        ]
    else:
        resolver = dns.resolver.Resolver()
    resolver.timeout = timeout
    resolver.lifetime = timeout
    return resolver


class Lookup:
    """Small answers-or-None helpers over one resolver; failures raise DnsUnavailable."""

    def __init__(self, resolver: dns.resolver.Resolver):
        self.resolver = resolver

    def query(self, name: str, rdtype: str):
        """The answer for *name*/*rdtype*, or None when the name or the type does not exist."""
        try:
            return self.resolver.resolve(name, rdtype, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        except dns.exception.Timeout:
            raise DnsUnavailable(f"no answer for {name} {rdtype} (timeout)") from None
        except (dns.resolver.NoNameservers, dns.resolver.YXDOMAIN) as exc:
            raise DnsUnavailable(f"no answer for {name} {rdtype}: {exc}") from None
        except dns.exception.DNSException as exc:
            raise DnsUnavailable(f"lookup of {name} {rdtype} failed: {exc}") from None

    def txt(self, name: str) -> list[str]:
        """The TXT strings of *name* (each record's strings joined), [] when none."""
        answer = self.query(name, "TXT")
        if answer is None:
            return []
        return [b"".join(r.strings).decode("utf-8", "replace") for r in answer]

    def addresses(self, name: str) -> list[str]:
        """The IPv4 then IPv6 addresses of *name*."""
        found = []
        for rdtype in ("A", "AAAA"):
            answer = self.query(name, rdtype)
            found += [r.address for r in answer or ()]
        return found

    def mx(self, name: str):
        """Sorted [(preference, exchange)] and the TTL; ([], None) when none."""
        answer = self.query(name, "MX")
        if answer is None:
            return [], None
        hosts = sorted(
            (r.preference, r.exchange.to_text(omit_final_dot=True).lower()) for r in answer
        )
        return hosts, answer.rrset.ttl

    def ptr(self, address: str) -> list[str]:
        """The PTR names of *address*, without the final dot."""
        answer = self.query(dns.reversename.from_address(address).to_text(), "PTR")
        return [r.target.to_text(omit_final_dot=True).lower() for r in answer or ()]

    def exists(self, name: str) -> bool:
        """True when *name* has an A, AAAA or CNAME record."""
        for rdtype in ("A", "AAAA"):
            if self.query(name, rdtype) is not None:
                return True
        return False


def dnsbl_name(address: str, provider: str) -> str:
    """`<reversed address>.<provider>`: nibbles for IPv6 (RFC 5782)."""
    ip = ipaddress.ip_address(address)
    reverse = dns.reversename.from_address(str(ip)).to_text(omit_final_dot=True)
    suffix = ".in-addr.arpa" if ip.version == 4 else ".ip6.arpa"
    return f"{reverse.removesuffix(suffix)}.{provider}"
