"""Postfix SQL map definitions: one file each, with its query for every database type.

The queries are Modoboa 1.6's (reference §2) with two corrections: the relay transport
carries the target port (1.6.3's intent, done right for SQLite too), and alias expiry
compares with the database's UTC clock, because the app stores naive UTC datetimes while
PostgreSQL's and MariaDB's ``now()`` follow the server's time zone.

Plugins add maps by answering ``signals.register_postfix_maps`` with PostfixMap objects.
"""

from __future__ import annotations

from dataclasses import dataclass

from ... import signals

DB_TYPES = ("mysql", "postgres", "sqlite")


@dataclass(frozen=True)
class PostfixMap:
    """A map file: its name, what it is for, and its query per database type."""

    filename: str
    mysql: str
    postgres: str
    sqlite: str
    description: str = ""

    def query(self, dbtype: str) -> str:
        """The query for *dbtype* (mysql, postgres or sqlite)."""
        if dbtype not in DB_TYPES:
            raise ValueError(f"unknown database type {dbtype}")
        return getattr(self, dbtype)


def _three(filename: str, template: str, description: str, **variants) -> PostfixMap:
    """Build a map from one template; {t}/{not}...{f} are boolean tests, variants per type."""
    forms = {
        "mysql": {"t": "=1", "f": "=0", "not": "", "now": "UTC_TIMESTAMP()"},
        "postgres": {"t": "", "f": "", "not": "NOT ", "now": "(now() AT TIME ZONE 'UTC')"},
        "sqlite": {"t": "=1", "f": "=0", "not": "", "now": "datetime('now')"},
    }
    queries = {}
    for dbtype, values in forms.items():
        values = {**values, **{k: v[dbtype] for k, v in variants.items()}}
        queries[dbtype] = template.format(**values)
    return PostfixMap(filename, description=description, **queries)


_FULL_ADDRESS = {
    "mysql": "concat(mb.address, '@', dom.name)",
    "postgres": "mb.address || '@' || dom.name",
    "sqlite": "mb.address || '@' || dom.name",
}
_RELAY_NEXTHOP = {
    "mysql": "CONCAT(srv.name, ':[', rdom.target_host, ']:', rdom.target_port)",
    "postgres": "srv.name || ':[' || rdom.target_host || ']:' || rdom.target_port",
    "sqlite": "srv.name || ':[' || rdom.target_host || ']:' || rdom.target_port",
}
LMTP_TRANSPORT = "lmtp:unix:private/dovecot-lmtp"

CORE_MAPS = [
    _three(
        "sql-domains.cf",
        "SELECT name FROM admin_domain WHERE name='%s' AND type='domain' AND enabled{t}",
        "virtual_mailbox_domains: enabled hosted domains",
    ),
    _three(
        "sql-mailboxes.cf",
        "SELECT {full} FROM admin_mailbox mb INNER JOIN admin_domain dom ON mb.domain_id=dom.id "
        "INNER JOIN core_user u ON mb.user_id=u.id WHERE dom.name='%d' AND mb.address='%u' "
        "AND dom.type='domain' AND dom.enabled{t} AND u.is_active{t}",
        "virtual_mailbox_maps: active mailboxes (an unknown address gets 550 at RCPT)",
        full=_FULL_ADDRESS,
    ),
    _three(
        "sql-domain-aliases.cf",
        "SELECT dom.name FROM admin_domain dom INNER JOIN admin_domainalias domal "
        "ON dom.id=domal.target_id WHERE domal.name='%s' AND domal.enabled{t} AND dom.enabled{t}",
        "virtual_alias_domains: enabled domain aliases of enabled domains",
    ),
    _three(
        "sql-aliases.cf",
        "SELECT alr.address FROM modoboa_admin_aliasrecipient AS alr INNER JOIN admin_alias AS al "
        "ON alr.alias_id=al.id WHERE al.enabled{t} AND al.address='%s' "
        "AND (al.expire_at IS NULL OR al.expire_at>{now})",
        "virtual_alias_maps: recipients of enabled, unexpired aliases (mailbox self-aliases too)",
    ),
    _three(
        "sql-maintain.cf",
        "SELECT '450 Requested mail action not taken: mailbox unavailable' FROM admin_mailbox mb "
        "INNER JOIN admin_domain dom ON mb.domain_id=dom.id INNER JOIN admin_mailboxoperation mbop "
        "ON mbop.mailbox_id=mb.id WHERE dom.name='%d' AND mb.address='%u' LIMIT 1",
        "check_recipient_access: 450 while a mailbox operation is pending",
    ),
    _three(
        "sql-disabled-mailboxes.cf",
        "SELECT '550 5.2.1 Mailbox disabled' FROM admin_mailbox mb "
        "INNER JOIN admin_domain dom ON mb.domain_id=dom.id INNER JOIN core_user u "
        "ON mb.user_id=u.id WHERE dom.name='%d' AND mb.address='%u' AND {not}u.is_active{f}",
        "check_recipient_access: 550 for a disabled account (its self-alias would accept it)",
    ),
    _three(
        "sql-sender-login-mailboxes.cf",
        "SELECT email FROM core_user WHERE email='%s' AND is_active{t}",
        "smtpd_sender_login_maps: an active account sends as itself",
    ),
    _three(
        "sql-sender-login-aliases.cf",
        "SELECT {full} FROM admin_mailbox mb INNER JOIN modoboa_admin_aliasrecipient alr "
        "ON alr.r_mailbox_id=mb.id INNER JOIN admin_domain dom ON dom.id=mb.domain_id "
        "INNER JOIN admin_alias al ON alr.alias_id=al.id WHERE al.enabled{t} AND al.address='%s'",
        "smtpd_sender_login_maps: local mailboxes may send as the aliases they receive",
        full=_FULL_ADDRESS,
    ),
    _three(
        "sql-sender-login-mailboxes-extra.cf",
        "SELECT {full} FROM admin_mailbox mb INNER JOIN admin_senderaddress sad "
        "ON sad.mailbox_id=mb.id INNER JOIN admin_domain dom ON dom.id=mb.domain_id "
        "WHERE sad.address='%s'",
        "smtpd_sender_login_maps: extra sender addresses of a mailbox",
        full=_FULL_ADDRESS,
    ),
    _three(
        "sql-relaydomains.cf",
        "SELECT name FROM admin_domain WHERE name='%s' AND type='relaydomain' AND enabled{t}",
        "relay_domains: enabled relay domains",
    ),
    _three(
        "sql-relaydomains-transport.cf",
        "SELECT {nexthop} FROM postfix_relay_domains_service AS srv "
        "INNER JOIN postfix_relay_domains_relaydomain AS rdom ON rdom.service_id=srv.id "
        "INNER JOIN admin_domain AS dom ON rdom.domain_id=dom.id "
        "WHERE dom.enabled{t} AND dom.name='%s'",
        "transport_maps: service:[host]:port of a relay domain",
        nexthop=_RELAY_NEXTHOP,
    ),
    _three(
        "sql-spliteddomains-transport.cf",
        f"SELECT '{LMTP_TRANSPORT}' FROM postfix_relay_domains_relaydomain AS rdom "
        "INNER JOIN admin_domain AS dom ON rdom.domain_id=dom.id "
        "INNER JOIN admin_mailbox AS mbox ON dom.id=mbox.domain_id "
        "INNER JOIN core_user AS u ON mbox.user_id=u.id "
        "WHERE dom.enabled{t} AND dom.name='%d' AND u.is_active{t} AND mbox.address='%u'",
        "transport_maps: local mailboxes inside a relay domain go to Dovecot",
    ),
    _three(
        "sql-relay-recipient-verification.cf",
        "SELECT 'reject_unverified_recipient' FROM postfix_relay_domains_relaydomain AS rdom "
        "INNER JOIN admin_domain AS dom ON rdom.domain_id=dom.id "
        "WHERE rdom.verify_recipients{t} AND dom.name='%d'",
        "check_recipient_access: verify recipients of relay domains that ask for it",
    ),
]


def all_maps() -> list[PostfixMap]:
    """The core maps plus those plugins register, by file name (a plugin may replace one)."""
    maps = {m.filename: m for m in CORE_MAPS}
    for extra in signals.collect(signals.register_postfix_maps):
        maps[extra.filename] = extra
    return list(maps.values())
