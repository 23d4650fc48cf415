"""`flask check-mx`: Modoboa's `modo check_mx`, plus SPF, DMARC, rDNS and friends (cron)."""

from __future__ import annotations

import sys

import click

from ... import locks
from ...extensions import db
from ...mail import MailError, send_mail
from ...params import get as param
from . import bp, services


@bp.cli.command("check-mx")
@click.option("--no-dnsbl", is_flag=True, help="Skip the DNSBL lookups.")
@click.option("--domain", "domains", multiple=True, help="Check only this domain (name or id).")
@click.option("--email", "emails", multiple=True, help="Also send alerts to this address.")
@click.option("--skip-admin-emails", is_flag=True, help="Do not alert the domains' admins.")
@click.option("--timeout", default=3.0, show_default=True, type=click.FloatRange(0.1, 60),
              help="Seconds to wait for one DNS answer.")  # fmt: skip
@click.option("--ttl", type=click.IntRange(0), default=None,
              help="Keep MX records S seconds (default: their DNS TTL; 0 = refresh).")  # fmt: skip
def check_mx(no_dnsbl, domains, emails, skip_admin_emails, timeout, ttl):
    """Check the DNS health of every enabled domain, store it and mail changes."""
    options = services.Options(timeout=timeout, ttl=ttl, dnsbl=not no_dnsbl)
    targets, unknown = services.domains_to_check(domains)
    for selector in unknown:
        click.echo(f"Skipped {selector}", err=True)
    # A database-wide lock: cron may start check-mx on every node sharing the database.
    with locks.exclusive("check-mx") as held:
        if not held:
            raise click.ClickException("Another check-mx run is in progress (database lock).")
        services.prune_providers()
        db.session.commit()
        failures = _run(targets, options, emails, not skip_admin_emails)
    if failures:
        raise click.ClickException(f"{failures} alert(s) could not be sent.")


def _run(targets, options, emails, admins) -> int:
    failures = 0
    summary = []
    # The bar draws only on a terminal; cron output stays the summary lines.
    with click.progressbar(
        targets, label="Checking domains", item_show_func=lambda d: d.name if d else "",
        file=sys.stderr,
    ) as bar:  # fmt: skip
        for domain in bar:
            outcome = services.check_domain(domain, options)
            db.session.commit()
            summary.append(f"{domain.name}: {outcome.status}")
            failures += _alert(domain, emails, admins)
    for line in summary:
        click.echo(line)
    return failures


def _alert(domain, emails, admins) -> int:
    """Mail the state changes of *domain*; return 1 when sending failed."""
    pending = services.pending_alert(domain)
    if pending is None:
        return 0
    rows, body = pending
    recipients = services.alert_recipients(domain, emails, admins)
    if recipients:
        try:
            send_mail(
                param("core.sender_address"),
                recipients,
                f"[modoboa] DNS issue(s) for domain {domain.name}",
                f"DNS checks of {domain.name} changed:\n\n{body}\n",
            )
        except MailError as exc:
            db.session.rollback()
            click.echo(f"{domain.name}: {exc}", err=True)
            return 1  # not marked: the next run retries
    services.mark_alerted(rows)
    db.session.commit()
    return 0
