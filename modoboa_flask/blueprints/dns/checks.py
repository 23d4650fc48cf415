"""The record checks beyond MX and DNSBL: SPF, DMARC, DKIM, MTA-STS/TLS-RPT, autoconfig, rDNS.

Each check takes a `Lookup` and what the run already knows, and returns a `Result` whose
message is plain language and whose `record` is what to publish (zone-file lines). SPF has
its own module (`spf.py`); `Result` and the statuses are in `results.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import dns.reversename

from ..dkim.keys import parse_record, record_name
from .resolver import DnsUnavailable, Lookup
from .results import ERROR, OK, SEVERITY, UNKNOWN, WARNING, Result, worst  # noqa: F401
from .spf import check_spf  # noqa: F401 - one module of checks for the callers

# --- DMARC (RFC 7489) ----------------------------------------------------------------------

_DMARC_POLICIES = ("none", "quarantine", "reject")
_DMARC_TAGS = ("v", "p", "sp", "pct", "adkim", "aspf", "rua", "ruf", "fo", "rf", "ri", "np")


def parse_dmarc(record: str) -> tuple[dict[str, str], list[str]]:
    """Return the record's tags and the list of problems found in them."""
    problems, tags = [], {}
    parts = [p.strip() for p in record.split(";") if p.strip()]
    for part in parts:
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not sep:
            problems.append(f"'{part}' is not a tag=value pair")
            continue
        if name in tags:
            problems.append(f"the tag {name} appears twice")
        tags[name] = value.strip()
        if name not in _DMARC_TAGS:
            problems.append(f"unknown tag {name}")
    if not parts or parts[0].replace(" ", "") != "v=DMARC1":
        problems.append("the record must start with v=DMARC1")
    if tags.get("p", "").lower() not in _DMARC_POLICIES:
        problems.append("p= must be none, quarantine or reject")
    if "sp" in tags and tags["sp"].lower() not in _DMARC_POLICIES:
        problems.append("sp= must be none, quarantine or reject")
    if "pct" in tags and not (tags["pct"].isdigit() and 0 <= int(tags["pct"]) <= 100):
        problems.append("pct= must be a number from 0 to 100")
    for tag in ("adkim", "aspf"):
        if tag in tags and tags[tag].lower() not in ("r", "s"):
            problems.append(f"{tag}= must be r or s")
    if "ri" in tags and not tags["ri"].isdigit():
        problems.append("ri= must be a number of seconds")
    for tag in ("rua", "ruf"):
        for uri in _report_uris(tags.get(tag, "")):
            if not re.fullmatch(r"mailto:[^@\s]+@[^@\s!]+(![0-9]+[kmgt]?)?", uri, re.I):
                problems.append(f"{tag}= holds an invalid address: {uri}")
    return tags, problems


def _report_uris(value: str) -> list[str]:
    return [u.strip() for u in value.split(",") if u.strip()]


def check_dmarc(lookup: Lookup, domain: str):
    """DMARC: one valid record whose rua addresses can receive reports."""
    suggestion = f'_dmarc.{domain}. IN TXT "v=DMARC1; p=none; rua=mailto:postmaster@{domain}"'
    try:
        records = [t for t in lookup.txt(f"_dmarc.{domain}") if t.lower().startswith("v=dmarc1")]
        if not records:
            return Result(
                WARNING,
                "No DMARC record: receivers get no policy for mail that fails SPF and DKIM, "
                "and you get no reports about who sends mail in your name. Publish:",
                suggestion,
            )
        if len(records) > 1:
            return Result(ERROR, "Several DMARC records: receivers ignore them all.", suggestion)
        tags, problems = parse_dmarc(records[0])
        if problems:
            return Result(ERROR, f"The DMARC record is invalid: {'; '.join(problems)}.", suggestion)
        unreachable = [
            uri
            for uri in _report_uris(tags.get("rua", ""))
            if not _rua_reachable(lookup, domain, uri)
        ]
    except DnsUnavailable as exc:
        return Result(UNKNOWN, f"DMARC could not be checked: {exc}.")
    if unreachable:
        return Result(
            WARNING,
            "Aggregate reports cannot be delivered to "
            + ", ".join(unreachable)
            + ": the report domain has no mail server, or does not publish the "
            f"{domain}._report._dmarc authorisation record (RFC 7489 §7.1).",
            suggestion,
        )
    return Result(OK, f"DMARC record found: {records[0]}")


def _rua_reachable(lookup: Lookup, domain: str, uri: str) -> bool:
    host = uri.split("@", 1)[1].split("!", 1)[0].rstrip(".").lower()
    if not (lookup.mx(host)[0] or lookup.addresses(host)):
        return False
    if host == domain or host.endswith("." + domain) or domain.endswith("." + host):
        return True
    authorisations = lookup.txt(f"{domain}._report._dmarc.{host}")
    return any(t.lower().startswith("v=dmarc1") for t in authorisations)


# --- DKIM -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DkimKeySpec:
    """What the DKIM check needs of one key: where it is published and what it must say."""

    selector: str
    public_key: str
    state: str  # pending, active or previous


def dkim_published(lookup: Lookup, domain: str, key: DkimKeySpec) -> bool:
    """True when `selector._domainkey.domain` publishes exactly *key*'s public key."""
    records = [parse_record(t) for t in lookup.txt(record_name(key.selector, domain))]
    records = [r for r in records if r]
    return len(records) == 1 and records[0]["p"] == key.public_key


def check_dkim(
    lookup: Lookup, domain: str, keys: list[DkimKeySpec], enabled: bool, records: dict
) -> tuple[Result, dict[str, bool]]:
    """DKIM: each managed key's TXT record holds its public key; also {selector: published}.

    *records* maps selectors to the zone line to publish (shown when one is missing).
    """
    if not keys:
        if enabled:
            return Result(WARNING, "DKIM is enabled but the domain has no key yet."), {}
        return Result(UNKNOWN, "DKIM signing is not enabled for this domain."), {}
    try:
        seen = {key.selector: dkim_published(lookup, domain, key) for key in keys}
    except DnsUnavailable as exc:
        return Result(UNKNOWN, f"DKIM could not be checked: {exc}."), {}
    by_state = {state: [k for k in keys if k.state == state] for state in ("active", "pending")}
    missing = [k for k in keys if not seen[k.selector] and k.state in ("active", "pending")]
    record = "\n".join(records[k.selector] for k in missing)
    if not enabled:
        return Result(UNKNOWN, "DKIM signing is disabled for this domain (keys are kept)."), seen
    problems = []
    for key in by_state["active"]:
        if not seen[key.selector]:
            problems.append(
                f"the active key (selector {key.selector}) is not published or differs from "
                "ours: receivers cannot verify the signatures"
            )
    if problems:
        return Result(ERROR, "DKIM: " + "; ".join(problems) + ". Publish:", record), seen
    pending = [k.selector for k in by_state["pending"] if not seen[k.selector]]
    if pending:
        return Result(
            WARNING,
            f"The new key (selector {', '.join(pending)}) is not visible in DNS yet: publish "
            "it; it can become active once it is seen.",
            record,
        ), seen
    active = ", ".join(k.selector for k in by_state["active"]) or "none yet"
    return Result(OK, f"DKIM keys are published (signing selector: {active})."), seen


# --- MTA-STS and TLS-RPT (RFC 8461, RFC 8460) ---------------------------------------------


def check_mta_sts(lookup: Lookup, domain: str, mx_names: list[str]) -> Result:
    """MTA-STS and TLS-RPT: optional records that make senders insist on TLS."""
    mx_lines = "\n".join(f"mx: {name}" for name in mx_names) or f"mx: mail.{domain}"
    suggestion = (
        f'_mta-sts.{domain}. IN TXT "v=STSv1; id=1"\n'
        f'_smtp._tls.{domain}. IN TXT "v=TLSRPTv1; rua=mailto:postmaster@{domain}"\n'
        f"; and serve https://mta-sts.{domain}/.well-known/mta-sts.txt:\n"
        f"; version: STSv1\n; mode: testing\n; "
        + mx_lines.replace("\n", "\n; ")
        + "\n; max_age: 86400"
    )
    try:
        sts = [t for t in lookup.txt(f"_mta-sts.{domain}") if t.lower().startswith("v=stsv1")]
        rpt = [t for t in lookup.txt(f"_smtp._tls.{domain}") if t.startswith("v=TLSRPTv1")]
    except DnsUnavailable as exc:
        return Result(UNKNOWN, f"MTA-STS could not be checked: {exc}.")
    problems = []
    if len(sts) > 1:
        problems.append("several _mta-sts records (senders ignore them all)")
    elif sts and not re.search(r"(^|;)\s*id=[A-Za-z0-9]{1,32}\s*(;|$)", sts[0]):
        problems.append("the _mta-sts record needs id= (1 to 32 letters or digits)")
    if len(rpt) > 1:
        problems.append("several _smtp._tls records")
    elif rpt and not re.search(r"rua=(mailto:|https:)", rpt[0]):
        problems.append("the _smtp._tls record needs rua=mailto:... or rua=https:...")
    if problems:
        return Result(ERROR, "MTA-STS/TLS-RPT: " + "; ".join(problems) + ".", suggestion)
    if not sts or not rpt:
        missing = [n for n, found in (("MTA-STS", sts), ("TLS-RPT", rpt)) if not found]
        return Result(
            WARNING,
            f"No {' and no '.join(missing)} record (optional): without MTA-STS, senders "
            "fall back to unencrypted delivery when an attacker strips STARTTLS; TLS-RPT "
            "reports such failures to you.",
            suggestion,
        )
    return Result(OK, f"MTA-STS ({sts[0]}) and TLS-RPT ({rpt[0]}) records found.")


# --- autoconfig / autodiscover / SRV (RFC 6186, RFC 8314) ---------------------------------

_SRV = (("_imaps._tcp", 993), ("_submissions._tcp", 465), ("_submission._tcp", 587))


def check_autoconfig(lookup: Lookup, domain: str, mx_names: list[str]) -> Result:
    """Client set-up: autoconfig/autodiscover names and the IMAP/submission SRV records."""
    host = mx_names[0] if mx_names else f"mail.{domain}"
    suggestion = "\n".join(
        [
            f"autoconfig.{domain}. IN CNAME {host}.",
            f"autodiscover.{domain}. IN CNAME {host}.",
            *(f"{srv}.{domain}. IN SRV 0 1 {port} {host}." for srv, port in _SRV),
        ]
    )
    missing = []
    try:
        for name in (f"autoconfig.{domain}", f"autodiscover.{domain}"):
            if not lookup.exists(name):
                missing.append(name)
        for srv, _port in _SRV:
            if lookup.query(f"{srv}.{domain}", "SRV") is None:
                missing.append(f"{srv}.{domain} SRV")
    except DnsUnavailable as exc:
        return Result(UNKNOWN, f"Autoconfiguration could not be checked: {exc}.")
    if missing:
        return Result(
            WARNING,
            "Mail clients cannot find the server settings by themselves (missing: "
            + ", ".join(missing)
            + "); users must type them in. Publish:",
            suggestion,
        )
    return Result(OK, "autoconfig, autodiscover and the IMAP/submission SRV records exist.")


# --- reverse DNS of the MX addresses -------------------------------------------------------


def check_rdns(lookup: Lookup, mx_addresses: list[tuple[str, str]]) -> Result:
    """Reverse DNS: each MX address has a PTR name that resolves back to it."""
    if not mx_addresses:
        return Result(UNKNOWN, "No MX address to check.")
    problems, records = [], []
    try:
        for name, address in mx_addresses:
            names = lookup.ptr(address)
            confirmed = any(address in lookup.addresses(ptr) for ptr in names)
            if not names:
                problems.append(f"{address} ({name}) has no PTR record")
            elif not confirmed:
                problems.append(
                    f"{address} points to {', '.join(names)}, which does not resolve back to it"
                )
            else:
                continue
            reverse = dns.reversename.from_address(address).to_text()
            records.append(f"{reverse} IN PTR {name}.")
    except DnsUnavailable as exc:
        return Result(UNKNOWN, f"Reverse DNS could not be checked: {exc}.")
    if problems:
        return Result(
            WARNING,
            "Receivers distrust servers without matching reverse DNS: "
            + "; ".join(problems)
            + ". Ask the owner of the addresses (your hosting provider) to publish:",
            "\n".join(records),
        )
    return Result(OK, "Every MX address has a PTR name that resolves back to it.")
