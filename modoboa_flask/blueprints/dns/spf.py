"""The SPF check (RFC 7208): syntax, the 10-lookup limit, and which MX addresses it authorises."""

from __future__ import annotations

import ipaddress
import re

from .resolver import DnsUnavailable, Lookup
from .results import ERROR, OK, UNKNOWN, WARNING, Result

_SPF_QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
_SPF_MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
_SPF_LOOKUP_TERMS = ("include", "a", "mx", "ptr", "exists", "redirect")
_SPF_MAX_LOOKUPS = 10


class SpfError(Exception):
    """A record that breaks RFC 7208 (a permerror for receivers)."""


def _is_spf(text: str) -> bool:
    return text.lower() == "v=spf1" or text.lower().startswith("v=spf1 ")


def parse_spf(record: str) -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """Split *record* into [(qualifier, mechanism, value)] and {modifier: value}."""
    terms, modifiers = [], {}
    for term in record.split()[1:]:
        match = re.fullmatch(r"([a-zA-Z][\w.-]*)=(.*)", term)
        if match:
            name = match[1].lower()
            if name in modifiers and name in ("redirect", "exp"):
                raise SpfError(f"the modifier {name}= appears twice")
            modifiers[name] = match[2]
            continue
        qualifier = term[0] if term[0] in _SPF_QUALIFIERS else "+"
        body = term[1:] if term[0] in _SPF_QUALIFIERS else term
        match = re.fullmatch(r"([a-zA-Z0-9]+)([:/].*)?", body)
        mechanism = match[1].lower() if match else ""
        if mechanism not in _SPF_MECHANISMS:
            raise SpfError(f"unknown term {term!r}")
        rest = match[2] or ""
        value = rest[1:] if rest.startswith(":") else rest  # a/24 keeps its "/24"
        if mechanism == "all" and value:
            raise SpfError(f"'all' takes no value: {term!r}")
        if mechanism in ("include", "exists") and not value:
            raise SpfError(f"{mechanism} needs a domain: {term!r}")
        if mechanism in ("ip4", "ip6"):
            try:
                network = ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise SpfError(f"invalid address in {term!r}") from None
            if network.version != int(mechanism[-1]):
                raise SpfError(f"{term!r} holds an IPv{network.version} address")
        terms.append((qualifier, mechanism, value))
    return terms, modifiers


def _domain_and_cidr(value: str, default: str) -> tuple[str, int | None, int | None]:
    """Split `domain/24//64` (each part optional) of an a/mx mechanism."""
    target, _, cidrs = value.partition("/")
    cidr4, _, cidr6 = ("/" + cidrs).partition("//") if cidrs else ("", "", "")
    v4 = int(cidr4.strip("/")) if cidr4.strip("/") else None
    v6 = int(cidr6) if cidr6 else None
    return (target or default), v4, v6


class _Spf:
    """Evaluates SPF for one IP address and counts DNS-querying terms on the way."""

    def __init__(self, lookup: Lookup):
        self.lookup = lookup
        self.lookups = 0

    def record(self, domain: str) -> str | None:
        records = [t for t in self.lookup.txt(domain) if _is_spf(t)]
        if len(records) > 1:
            raise SpfError(f"{domain} publishes {len(records)} SPF records (one allowed)")
        return records[0] if records else None

    def count(self, domain: str, record: str, depth: int = 0) -> int:
        """DNS-querying terms of *record* and everything it includes (RFC 7208 §4.6.4)."""
        if depth > _SPF_MAX_LOOKUPS:
            raise SpfError("includes loop or nest too deeply")
        terms, modifiers = parse_spf(record)
        total = 0
        targets = [v for _q, m, v in terms if m == "include"]
        total += sum(1 for _q, m, _v in terms if m in _SPF_LOOKUP_TERMS)
        if "redirect" in modifiers:
            total += 1
            targets.append(modifiers["redirect"])
        for target in targets:
            if "%" in target:
                continue  # macros expand per message: not countable here
            included = self.record(target)
            if included is None:
                raise SpfError(f"{target} (included) has no SPF record")
            total += self.count(target, included, depth + 1)
        return total

    def check_host(self, ip, domain: str, depth: int = 0) -> str:
        """The SPF result (pass, fail, softfail, neutral, none) for mail from *ip*."""
        if depth > _SPF_MAX_LOOKUPS:
            raise SpfError("includes loop or nest too deeply")
        record = self.record(domain)
        if record is None:
            return "none"
        terms, modifiers = parse_spf(record)
        for qualifier, mechanism, value in terms:
            if self._matches(ip, domain, mechanism, value, depth):
                return _SPF_QUALIFIERS[qualifier]
        if "redirect" in modifiers and "%" not in modifiers["redirect"]:
            return self.check_host(ip, modifiers["redirect"], depth + 1)
        return "neutral"

    def _matches(self, ip, domain, mechanism, value, depth) -> bool:
        if mechanism == "all":
            return True
        if mechanism in ("ip4", "ip6"):
            network = ipaddress.ip_network(value, strict=False)
            return ip.version == network.version and ip in network
        if "%" in value:
            return False  # macros depend on the message: cannot be judged here
        if mechanism == "include":
            result = self.check_host(ip, value, depth + 1)
            if result == "none":
                raise SpfError(f"{value} (included) has no SPF record")
            return result == "pass"
        if mechanism in ("a", "mx"):
            target, cidr4, cidr6 = _domain_and_cidr(value, domain)
            hosts = [h for _p, h in self.lookup.mx(target)[0]] if mechanism == "mx" else [target]
            for host in hosts:
                for address in self.lookup.addresses(host):
                    addr = ipaddress.ip_address(address)
                    prefix = cidr4 if addr.version == 4 else cidr6
                    network = ipaddress.ip_network(
                        f"{address}/{prefix if prefix is not None else addr.max_prefixlen}",
                        strict=False,
                    )
                    if ip.version == addr.version and ip in network:
                        return True
            return False
        if mechanism == "exists":
            return self.lookup.query(value, "A") is not None
        return False  # ptr: deprecated (RFC 7208 §5.5), never counted as authorising


def suggested_spf(domain: str, networks: list[str]) -> str:
    """A record authorising the domain's MX hosts (and the `valid_mxs` networks)."""
    extra = [
        f"ip{ipaddress.ip_network(n, strict=False).version}:{n}" for n in networks if n.strip()
    ]
    return f'{domain}. IN TXT "' + " ".join(["v=spf1", "mx", *extra, "-all"]) + '"'


def check_spf(lookup: Lookup, domain: str, mx_addresses: list[tuple[str, str]], networks):
    """SPF: one valid record, at most 10 lookups, authorising every MX address."""
    suggestion = suggested_spf(domain, networks)
    spf = _Spf(lookup)
    try:
        record = spf.record(domain)
        if record is None:
            return Result(
                WARNING,
                "No SPF record: receivers cannot tell which servers may send mail for this "
                "domain, so forged mail looks as genuine as yours. Publish:",
                suggestion,
            )
        count = spf.count(domain, record)
        if count > _SPF_MAX_LOOKUPS:
            return Result(
                ERROR,
                f"The SPF record needs {count} DNS lookups; receivers stop at "
                f"{_SPF_MAX_LOOKUPS} and then treat it as broken (permerror). Replace includes "
                "with ip4:/ip6: ranges.",
                suggestion,
            )
        refused = []
        for name, address in mx_addresses:
            if spf.check_host(ipaddress.ip_address(address), domain) != "pass":
                refused.append(f"{name} ({address})")
    except SpfError as exc:
        return Result(
            ERROR,
            f"The SPF record is invalid ({exc}); receivers ignore it. Publish:",
            suggestion,
        )
    except DnsUnavailable as exc:
        return Result(UNKNOWN, f"SPF could not be checked: {exc}.")
    if refused:
        return Result(
            WARNING,
            "The SPF record does not authorise these mail servers: "
            + ", ".join(refused)
            + ". Mail they send may be rejected. Add them, e.g.:",
            suggestion,
        )
    return Result(OK, f"SPF record found ({count} DNS lookups): {record}")
