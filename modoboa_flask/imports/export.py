"""CSV export of domains and identities, in the format the importer (and Modoboa) reads.

- Domains: `domain;name;quota;default mailbox quota;enabled` (Modoboa 2.x layout: our domains
  have both quotas), or `relaydomain;name;host;port;service;enabled;verify` for relay domains,
  each followed by its aliases `domainalias;name;target;enabled`.
- Identities: `account;username;password hash;first;last;enabled;role;address;quota[;domain..]`
  (administered domains for domain admins, then AccountExported columns), then the public
  aliases `alias;address;enabled;recipient...` with sorted recipients, an alias after every
  alias it delivers to so that the file imports in one pass.
- The password column is empty unless a super admin asks for the hashes (`with_passwords`):
  they are only needed to move accounts to another server, and a hash is a brute-force target.
- Free-text cells are neutralised against spreadsheet formulas (`cells.py`); the import
  reverses exactly that.
Rows are produced in chunks: memory does not grow with the number of objects.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date

from sqlalchemy import Select, select

from .. import audit, signals
from ..exceptions import PermissionDenied
from ..extensions import db
from ..models import (
    DOMAINADMINS,
    SIMPLEUSERS,
    Alias,
    AliasRecipient,
    Domain,
    DomainAdmin,
    DomainAlias,
    Mailbox,
    RelayDomain,
    Service,
    User,
)
from ..permissions import visible_accounts, visible_aliases, visible_domains
from .cells import neutralise

CHUNK = 500


def filename(kind: str) -> str:
    """`modoboa-domains-20250101.csv` / `modoboa-identities-...`."""
    return f"modoboa-{kind}-{date.today():%Y%m%d}.csv"


def check_with_passwords(user, asked: bool) -> bool:
    """Whether the export carries password hashes: only when a super admin asks for them."""
    if asked and not user.is_superuser:
        raise PermissionDenied("Only super administrators may export password hashes.")
    return bool(asked)


def record_export(kind: str, with_passwords: bool = False) -> None:
    """Audit an export (who downloaded which objects, with or without hashes), committed."""
    if with_passwords:
        audit.record(f"Export of {kind} with password hashes", action="export",
                     level="WARNING", changes={"with_passwords": [None, True]})  # fmt: skip
    else:
        audit.record(
            f"Export of {kind}", action="export", changes={"with_passwords": [None, False]}
        )
    db.session.commit()


def csv_lines(rows: Iterable[list], sepchar: str = ";") -> Iterator[str]:
    """Each row as a CSV line ending in \\r\\n (Python's csv writer, as Modoboa's)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sepchar or ";")
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _ids(stmt: Select, model) -> list[int]:
    """Ids of what *stmt* selects, in its order (only ids are kept in memory)."""
    return list(db.session.scalars(stmt.with_only_columns(model.id)))


def domain_rows(user, stmt: Select | None = None, layout: str = "2") -> Iterator[list]:
    """Rows of the domains *stmt* selects (default: every domain *user* sees, by name).

    *layout* "2" writes Modoboa 2.x domain rows (with the default mailbox quota); "1.6"
    writes `domain;name;quota;enabled`, which Modoboa 1.6 reads (its 4th field is "enabled").
    """
    stmt = stmt if stmt is not None else visible_domains(user).order_by(Domain.name)
    for chunk in _chunks(_ids(stmt, Domain)):
        domains = {d.id: d for d in db.session.scalars(select(Domain).where(Domain.id.in_(chunk)))}
        relays = {
            row.domain_id: (row, name)
            for row, name in db.session.execute(
                select(RelayDomain, Service.name)
                .join(Service, Service.id == RelayDomain.service_id)
                .where(RelayDomain.domain_id.in_(chunk))
            )
        }
        aliases: dict[int, list[DomainAlias]] = {}
        alias_stmt = select(DomainAlias).where(DomainAlias.target_id.in_(chunk))
        for alias in db.session.scalars(alias_stmt.order_by(DomainAlias.name)):
            aliases.setdefault(alias.target_id, []).append(alias)
        for domain_id in chunk:
            domain = domains[domain_id]
            if domain.type == "relaydomain" and domain_id in relays:
                relay, service = relays[domain_id]
                yield ["relaydomain", domain.name, relay.target_host, relay.target_port,
                       service, domain.enabled, relay.verify_recipients]  # fmt: skip
            elif layout == "1.6":
                yield ["domain", domain.name, domain.quota, domain.enabled]
            else:
                yield ["domain", domain.name, domain.quota, domain.default_mailbox_quota,
                       domain.enabled]  # fmt: skip
            for alias in aliases.get(domain_id, ()):
                yield ["domainalias", alias.name, domain.name, alias.enabled]


def account_rows(user, stmt: Select | None = None, with_passwords: bool = False) -> Iterator[list]:
    """Rows of the accounts *stmt* selects (default: every account *user* sees).

    The password column holds the hash only *with_passwords* (see `check_with_passwords`,
    which callers run first to refuse with a message).
    """
    with_passwords = with_passwords and user.is_superuser  # never a hash for anyone else
    stmt = stmt if stmt is not None else visible_accounts(user).order_by(User.username)
    for chunk in _chunks(_ids(stmt, User)):
        accounts = {a.id: a for a in db.session.scalars(select(User).where(User.id.in_(chunk)))}
        mailboxes = {
            mailbox.user_id: (mailbox, name)
            for mailbox, name in db.session.execute(
                select(Mailbox, Domain.name)
                .join(Domain, Domain.id == Mailbox.domain_id)
                .where(Mailbox.user_id.in_(chunk))
            )
        }
        administered: dict[int, list[str]] = {}
        grants = (
            select(DomainAdmin.user_id, Domain.name)
            .join(Domain, Domain.id == DomainAdmin.domain_id)
            .where(DomainAdmin.user_id.in_(chunk))
            .order_by(Domain.name)
        )
        if not user.is_superuser:
            # A peer's other domains are another tenant's: its page hides them too.
            grants = grants.where(Domain.id.in_(visible_domains(user).with_only_columns(Domain.id)))
        for user_id, name in db.session.execute(grants):
            administered.setdefault(user_id, []).append(name)
        for account_id in chunk:
            account = accounts[account_id]
            mailbox, domain_name = mailboxes.get(account_id, (None, None))
            # A simple user's username is its address; an administrator's is free text.
            username = (
                account.username if account.role == SIMPLEUSERS else neutralise(account.username)
            )
            row = ["account", username, account.password if with_passwords else "",
                   neutralise(account.first_name), neutralise(account.last_name),
                   account.is_active, account.role,
                   f"{mailbox.address}@{domain_name}" if mailbox else "",
                   mailbox.quota if mailbox else ""]  # fmt: skip
            if account.role == DOMAINADMINS:
                row += administered.get(account_id, [])
            extra = signals.collect(signals.account_exported, account=account)
            row += [neutralise(value) for value in extra]
            yield row


def _alias_order(ids: list[int]) -> list[int]:
    """*ids* (sorted by address) reordered so an alias follows the aliases it delivers to."""
    wanted = set(ids)
    needs: dict[int, set[int]] = {}
    links = select(AliasRecipient.alias_id, AliasRecipient.r_alias_id).where(
        AliasRecipient.r_alias_id.is_not(None)
    )
    for alias_id, target in db.session.execute(links):
        if alias_id in wanted and target in wanted and target != alias_id:
            needs.setdefault(alias_id, set()).add(target)
    if not needs:
        return ids
    done: set[int] = set()
    order: list[int] = []
    remaining = ids
    while remaining:
        ready = [i for i in remaining if needs.get(i, set()) <= done]
        if not ready:  # a loop of aliases: no order imports it, keep the address order
            ready = remaining
        order += ready
        done |= set(ready)
        remaining = [i for i in remaining if i not in done]
    return order


def alias_rows(user, stmt: Select | None = None) -> Iterator[list]:
    """Rows of the public aliases *stmt* selects (default: all *user* sees)."""
    if stmt is None:
        stmt = visible_aliases(user).where(Alias.internal.is_(False)).order_by(Alias.address)
    for chunk in _chunks(_alias_order(_ids(stmt, Alias))):
        aliases = {a.id: a for a in db.session.scalars(select(Alias).where(Alias.id.in_(chunk)))}
        recipients: dict[int, list[str]] = {}
        rcpt_stmt = select(AliasRecipient.alias_id, AliasRecipient.address).where(
            AliasRecipient.alias_id.in_(chunk)
        )
        for alias_id, address in db.session.execute(rcpt_stmt):
            recipients.setdefault(alias_id, []).append(address)
        for alias_id in chunk:
            alias = aliases[alias_id]
            yield ["alias", alias.address, alias.enabled, *sorted(recipients.get(alias_id, []))]


def identity_rows(
    user, accounts: Select | None = None, aliases: Select | None = None, with_passwords=False
):
    """Accounts, then public aliases."""
    yield from account_rows(user, accounts, with_passwords)
    yield from alias_rows(user, aliases)
