"""DNS health checks of domains, shared by `flask check-mx`, the DNS tab and the API.

Checking never happens while a page renders: pages read the rows stored here
(`admin_mxrecord`, `admin_dnsblresult`, `dns_domaincheck`). Like every service, nothing here
commits, except `check_now`, which must commit before it releases its per-domain lock.
"""

from __future__ import annotations

import ipaddress
import math
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from ... import locks
from ...exceptions import Conflict, NotFound
from ...extensions import db
from ...models import (
    DNSBLResult,
    Domain,
    DomainCheck,
    DomainVerification,
    MXRecord,
    User,
    utcnow,
)
from ...params import get as param
from ...permissions import visible_domains
from ..dkim import services as dkim_services
from ..domains.queries import administrators
from . import checks, verification
from .checks import ERROR, OK, UNKNOWN, WARNING, Result
from .resolver import DnsUnavailable, Lookup, dnsbl_name, dnsbl_providers, make_resolver

# RFC 2606 / RFC 6761 names: they never have public DNS, checking them only makes noise.
RESERVED_NAMES = ("test", "example", "invalid", "localhost")
CHECKS = ("mx", "dnsbl", "spf", "dkim", "dmarc", "mta_sts", "autoconfig", "rdns", "verification")
# Checks that make the list's badge: optional records (MTA-STS, autoconfig) would otherwise
# turn every domain yellow. DKIM counts only where it is enabled (else it is "unknown").
BADGE_CHECKS = ("mx", "dnsbl", "spf", "dkim", "dmarc", "rdns", "verification")
ALERT_CHECKS = ("mx", "dnsbl")
CHECK_NOW_INTERVAL = 60  # seconds between two "Check now" of one domain
LABELS = {
    "mx": "MX records",
    "dnsbl": "DNS blocklists",
    "spf": "SPF",
    "dkim": "DKIM",
    "dmarc": "DMARC",
    "mta_sts": "MTA-STS and TLS-RPT",
    "autoconfig": "Client autoconfiguration",
    "rdns": "Reverse DNS",
    "verification": "Ownership proof",
}


@dataclass
class Options:
    """How one run checks: per-query timeout, MX cache TTL override, DNSBL on or off."""

    timeout: float = 3.0
    ttl: int | None = None  # None = the MX answer's own TTL
    dnsbl: bool = True
    concurrency: int | None = None  # None = MODOBOA_DNS_CONCURRENCY


@dataclass
class Outcome:
    """What one domain's check found (for the CLI's summary)."""

    domain: str
    results: dict[str, Result] = field(default_factory=dict)
    unreachable: bool = False  # the DNS server did not answer: nothing was learnt

    @property
    def status(self) -> str:
        """The badge status of this outcome."""
        return badge_status({k: r.status for k, r in self.results.items()})


def is_reserved(name: str) -> bool:
    """True for names under a reserved TLD (.test, .example, .invalid, localhost)."""
    tld = name.rstrip(".").lower().rsplit(".", 1)[-1]
    return tld in RESERVED_NAMES


def badge_status(statuses: dict[str, str]) -> str:
    """The worst known status among the badge checks; `unknown` when none is known."""
    known = [s for c, s in statuses.items() if c in BADGE_CHECKS and s != UNKNOWN]
    return checks.worst(known) if known else UNKNOWN


def valid_networks() -> list:
    """The `valid_mxs` parameter as networks (empty = every MX is valid)."""
    text = param("admin.valid_mxs") or ""
    return [ipaddress.ip_network(item, strict=False) for item in text.split()]


def domains_to_check(selectors: tuple[str, ...] = ()) -> tuple[list[Domain], list[str]]:
    """Enabled non-reserved domains, or the named ones (name or id); also unknown selectors."""
    if not selectors:
        waiting = select(DomainVerification.domain_id)  # disabled until their proof is seen
        stmt = (
            select(Domain)
            .where(Domain.enabled.is_(True) | Domain.id.in_(waiting))
            .order_by(Domain.name)
        )
        return [d for d in db.session.scalars(stmt) if not is_reserved(d.name)], []
    found, unknown = {}, []
    for selector in selectors:
        key = selector.strip().lower().rstrip(".")
        cond = Domain.id == int(key) if key.isdigit() else Domain.name == key
        domain = db.session.scalar(select(Domain).where(cond))
        if domain is None:
            unknown.append(f"{selector}: no such domain")
        elif is_reserved(domain.name):
            unknown.append(f"{selector}: reserved name, never checked")
        else:
            found[domain.id] = domain
    return sorted(found.values(), key=lambda d: d.name), unknown


def prune_providers() -> int:
    """Delete DNSBL results of providers no longer configured; return how many."""
    result = db.session.execute(
        delete(DNSBLResult).where(DNSBLResult.provider.not_in(dnsbl_providers()))
    )
    return result.rowcount or 0


# --- the check of one domain ---------------------------------------------------------------


def check_domain(domain: Domain, options: Options | None = None) -> Outcome:
    """Run every check of *domain* and store the results (not committed)."""
    options = options or Options()
    lookup = Lookup(make_resolver(options.timeout))
    outcome = Outcome(domain.name)
    now = utcnow()
    try:
        # One cheap probe first: with cached MX rows, an outage would otherwise cost one
        # timeout per check.
        lookup.query(domain.name, "SOA")
        mxs, null_mx = _mx_records(domain, lookup, options, now)
    except DnsUnavailable as exc:
        # The resolver is down or the zone broken: every other lookup would wait as long.
        message = f"The DNS server did not answer ({exc}); results are unknown."
        for check in CHECKS:
            outcome.results[check] = Result(UNKNOWN, message)
        _store(domain, outcome.results, now, keep_previous=True)
        outcome.unreachable = True
        return outcome
    proof = verification.verify(domain, lookup)
    # Unknown = nothing pending: the tab hides it and the badge ignores it.
    outcome.results["verification"] = proof or Result(UNKNOWN, "No ownership proof pending.")
    outcome.results["mx"] = _mx_result(domain, mxs, null_mx)
    if not param("admin.enable_dnsbl_checks"):
        outcome.results["dnsbl"] = Result(UNKNOWN, "DNSBL checks are disabled.")
    elif not mxs:
        outcome.results["dnsbl"] = Result(UNKNOWN, "No MX address to look up.")
    elif options.dnsbl:  # --no-dnsbl: this run leaves the last DNSBL state alone
        outcome.results["dnsbl"] = _dnsbl(domain, mxs, lookup, options)
    pairs = [(mx.name, mx.address) for mx in mxs]
    names = list(dict.fromkeys(mx.name for mx in mxs))
    networks = param("admin.valid_mxs").split() if param("admin.enable_mx_checks") else []
    outcome.results["spf"] = checks.check_spf(lookup, domain.name, pairs, networks)
    outcome.results["dkim"] = dkim_services.check_publication(domain, lookup)
    outcome.results["dmarc"] = checks.check_dmarc(lookup, domain.name)
    outcome.results["mta_sts"] = checks.check_mta_sts(lookup, domain.name, names)
    outcome.results["autoconfig"] = checks.check_autoconfig(lookup, domain.name, names)
    outcome.results["rdns"] = checks.check_rdns(lookup, pairs)
    _store(domain, outcome.results, now)
    return outcome


def _mx_records(domain, lookup, options, now) -> tuple[list[MXRecord], bool]:
    """The domain's MX rows: the cached ones while fresh, else resolved again."""
    cached = list(
        db.session.scalars(
            select(MXRecord).where(MXRecord.domain_id == domain.id).order_by(MXRecord.id)
        )
    )
    if cached and options.ttl != 0 and all(mx.updated > now for mx in cached):
        return cached, False
    hosts, ttl = lookup.mx(domain.name)
    null_mx = any(host in ("", ".", "@") for _pref, host in hosts)
    resolved = []
    for _pref, host in hosts:
        if host in ("", ".", "@"):
            continue
        resolved += [(host, address) for address in lookup.addresses(host)]
    # Only now (every lookup answered) is the old cache replaced.
    _delete_mx(domain)
    ttl = options.ttl if options.ttl is not None else (ttl or 0)
    networks = valid_networks()
    rows = [
        MXRecord(
            domain_id=domain.id,
            name=host,
            address=address,
            managed=_inside(address, networks),
            updated=now + timedelta(seconds=ttl),
        )
        for host, address in dict.fromkeys(resolved)
    ]
    db.session.add_all(rows)
    db.session.flush()
    return rows, null_mx


def _delete_mx(domain):
    db.session.execute(delete(DNSBLResult).where(DNSBLResult.domain_id == domain.id))
    db.session.execute(delete(MXRecord).where(MXRecord.domain_id == domain.id))


def _inside(address: str, networks) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip.version == n.version and ip in n for n in networks)


def _mx_result(domain, mxs, null_mx) -> Result:
    networks = valid_networks()
    if not param("admin.enable_mx_checks"):
        return Result(UNKNOWN, "MX checks are disabled (parameter enable_mx_checks).")
    example = f"{domain.name}. IN MX 10 mail.{domain.name}."
    if null_mx:
        return Result(
            ERROR, "The domain publishes a null MX (RFC 7505): it refuses all mail.", example
        )
    if not mxs:
        return Result(
            ERROR,
            f"Domain {domain.name} has no MX record (or its MX hosts have no address): "
            "other servers do not know where to deliver its mail. Publish:",
            example,
        )
    if networks and not any(mx.managed for mx in mxs):
        listed = ", ".join(f"{mx.name} ({mx.address})" for mx in mxs)
        return Result(
            ERROR,
            f"MX record for domain {domain.name} is invalid: {listed} "
            "(none is inside the valid_mxs networks).",
            example,
        )
    if networks and not all(mx.managed for mx in mxs):
        outside = ", ".join(f"{mx.name} ({mx.address})" for mx in mxs if not mx.managed)
        return Result(WARNING, f"Some MX hosts are outside the valid_mxs networks: {outside}.")
    listed = ", ".join(f"{mx.name} ({mx.address})" for mx in mxs)
    return Result(OK, f"MX records: {listed}.")


def _dnsbl(domain, mxs, lookup, options) -> Result:
    """Query every provider for every MX address, a bounded number at a time."""
    providers = dnsbl_providers()
    jobs = [(mx, provider) for mx in mxs for provider in providers]
    workers = max(1, int(options.concurrency or current_app.config.get("DNS_CONCURRENCY", 20)))
    budget = 2 * options.timeout  # whole batch; unanswered lookups keep their last result
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dnsbl")
    try:
        futures = {
            pool.submit(_listed, lookup, mx.address, provider): (mx, provider)
            for mx, provider in jobs
        }
        done, _pending = wait(futures, timeout=budget)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    existing = {
        (r.mx_id, r.provider): r
        for r in db.session.scalars(select(DNSBLResult).where(DNSBLResult.domain_id == domain.id))
    }
    listed, unanswered = [], 0
    for future, (mx, provider) in futures.items():
        status = future.result() if future in done and not future.exception() else None
        row = existing.get((mx.id, provider))
        if status is None:
            unanswered += 1
            if row is None or not row.status:
                continue
            status = row.status  # keep a known listing while the provider is silent
        if row is None:
            row = DNSBLResult(domain_id=domain.id, mx_id=mx.id, provider=provider)
            db.session.add(row)
        row.status = status
        if status:
            listed.append(f"{mx.address} ({mx.name}) on {provider}: {status}")
    if listed:
        return Result(
            ERROR,
            "Listed on DNS blocklists, so receivers may refuse its mail: "
            + "; ".join(sorted(listed))
            + ". Find and stop the cause (open relay, compromised account), then ask each "
            "provider for delisting.",
        )
    total = len(jobs)
    if unanswered == total:
        return Result(UNKNOWN, "No DNSBL provider answered in time.")
    note = f" ({unanswered} of {total} lookups got no answer in time)" if unanswered else ""
    return Result(OK, f"Not listed by any of {len(providers)} DNSBL providers{note}.")


def _listed(lookup: Lookup, address: str, provider: str) -> str | None:
    """The provider's answer ("" = not listed), None when it did not answer."""
    try:
        answer = lookup.query(dnsbl_name(address, provider), "A")
    except DnsUnavailable:
        return None
    if answer is None:
        return ""
    codes = [r.address for r in answer]
    # 127.255.255.x = Spamhaus-style "query refused" codes: not a listing.
    real = [c for c in codes if c.startswith("127.") and not c.startswith("127.255.255.")]
    return real[0] if real else ""


def store_result(domain: Domain, check: str, result: Result) -> None:
    """Store one check's result (a check run outside `check_domain`, e.g. DKIM's)."""
    _store(domain, {check: result}, utcnow())


def _store(domain, results: dict[str, Result], now, keep_previous: bool = False) -> None:
    rows = {
        row.check: row
        for row in db.session.scalars(select(DomainCheck).where(DomainCheck.domain_id == domain.id))
    }
    for check, result in results.items():
        row = rows.get(check)
        if row is None:
            row = DomainCheck(domain_id=domain.id, check=check, alerted="")
            db.session.add(row)
        elif keep_previous and row.status != UNKNOWN:
            # A resolver outage says nothing about the records: keep the last known state.
            continue
        row.status, row.message, row.record, row.checked_at = (
            result.status,
            result.message,
            result.record,
            now,
        )
    db.session.flush()


# --- alerts --------------------------------------------------------------------------------


def pending_alert(domain: Domain) -> tuple[list[DomainCheck], str] | None:
    """The alert rows whose state changed since the last mail, and the mail body, or None."""
    rows = db.session.scalars(
        select(DomainCheck).where(
            DomainCheck.domain_id == domain.id, DomainCheck.check.in_(ALERT_CHECKS)
        )
    ).all()
    changed, lines = [], []
    for row in sorted(rows, key=lambda r: r.check):
        if row.status == UNKNOWN:
            continue  # no answer is not news
        state = row.message if row.status in (ERROR, WARNING) else ""
        if state == row.alerted:
            continue
        changed.append(row)
        if state:
            lines.append(f"{LABELS[row.check]}: {row.message}")
        else:
            lines.append(f"{LABELS[row.check]}: resolved. {row.message}")
    if not changed:
        return None
    return changed, "\n\n".join(lines)


def alert_recipients(domain: Domain, emails=(), admins: bool = True) -> list[str]:
    """The given addresses plus, unless *admins* is false, the domain's administrators'."""
    found = list(emails)
    if admins:
        found += [u.email for u in administrators(domain) if u.email]
    return list(dict.fromkeys(a for a in found if a))


def mark_alerted(rows: list[DomainCheck]) -> None:
    """Remember the states just mailed, so the same state is never mailed again."""
    for row in rows:
        row.alerted = row.message if row.status in (ERROR, WARNING) else ""


def check_now(actor: User, domain: Domain) -> Outcome:
    """Check *domain* for the UI: at most one run per domain per minute, never two at once."""
    if db.session.scalar(visible_domains(actor).where(Domain.id == domain.id)) is None:
        raise NotFound("Domain not found.")
    with locks.exclusive(f"dns-check-{domain.id}") as held:
        if not held:
            raise Conflict(f"{domain.name} is being checked right now; wait for the result.")
        last = db.session.scalar(
            select(db.func.max(DomainCheck.checked_at)).where(DomainCheck.domain_id == domain.id)
        )
        wait_for = CHECK_NOW_INTERVAL - (utcnow() - last).total_seconds() if last else 0
        if wait_for > 0:
            raise Conflict(
                f"{domain.name} was checked less than {CHECK_NOW_INTERVAL} seconds ago; "
                f"try again in {math.ceil(wait_for)} s."
            )
        outcome = check_domain(domain)
        # Committed under the lock, so a second request waiting on it sees this run.
        db.session.commit()
        return outcome


# --- reading stored results ----------------------------------------------------------------


def report(domain: Domain) -> dict:
    """The stored DNS state of *domain*, as the tab and `GET .../dns/` show it."""
    rows = {
        r.check: r
        for r in db.session.scalars(select(DomainCheck).where(DomainCheck.domain_id == domain.id))
    }
    mxs = db.session.scalars(
        select(MXRecord).where(MXRecord.domain_id == domain.id).order_by(MXRecord.name)
    ).all()
    names = {mx.id: mx for mx in mxs}
    results = db.session.scalars(
        select(DNSBLResult)
        .where(DNSBLResult.domain_id == domain.id)
        .order_by(DNSBLResult.provider, DNSBLResult.mx_id)
    ).all()
    networks_set = bool(valid_networks())
    checked = [r.checked_at for r in rows.values()]
    data = {
        "checked_at": max(checked).isoformat() + "Z" if checked else None,
        "status": badge_status({c: r.status for c, r in rows.items()}),
        "mx": [
            {"name": mx.name, "address": mx.address, "valid": mx.managed or not networks_set}
            for mx in mxs
        ],
        "dnsbl": [
            {"provider": r.provider, "address": names[r.mx_id].address, "listed": bool(r.status)}
            | ({"status": r.status} if r.status else {})
            for r in results
            if r.mx_id in names
        ],
    }
    data["checks"] = {
        check: {
            "status": row.status if row else UNKNOWN,
            "message": row.message if row else "Not checked yet.",
            "record": row.record if row else "",
            "checked_at": row.checked_at.isoformat() + "Z" if row else None,
        }
        for check, row in ((c, rows.get(c)) for c in CHECKS)
    }
    # "mx" and "dnsbl" name the record lists: their checks are "mx_check" and "dnsbl_check".
    for check, result in data["checks"].items():
        data[f"{check}_check" if check in ("mx", "dnsbl") else check] = result
    return data


def badges_for(domain_ids: list[int]) -> dict[int, str]:
    """The badge status of each domain, from stored results (one query)."""
    statuses: dict[int, dict[str, str]] = {i: {} for i in domain_ids}
    if domain_ids:
        rows = db.session.execute(
            select(DomainCheck.domain_id, DomainCheck.check, DomainCheck.status).where(
                DomainCheck.domain_id.in_(domain_ids), DomainCheck.check.in_(BADGE_CHECKS)
            )
        )
        for domain_id, check, status in rows:
            statuses[domain_id][check] = status
    badges = {i: badge_status(s) if s else "none" for i, s in statuses.items()}
    for domain_id in verification.pending_ids(domain_ids):
        badges[domain_id] = "unverified"  # disabled until proven: say so before anything else
    return badges


def domains_with_errors(user) -> int:
    """How many domains *user* sees have a failing DNS check."""
    visible = visible_domains(user).with_only_columns(Domain.id).scalar_subquery()
    stmt = (
        select(db.func.count(db.distinct(DomainCheck.domain_id)))
        .where(DomainCheck.domain_id.in_(visible))
        .where(DomainCheck.check.in_(BADGE_CHECKS), DomainCheck.status == ERROR)
    )
    return db.session.scalar(stmt) or 0
