"""Field-level parsing of each row type: counts, booleans, quotas, passwords, roles.

Formats (reference §4 and Modoboa 2.x):
- `domain; name; quota; enabled` (1.6) or `domain; name; quota; default mailbox quota; enabled`
- `domainalias; name; targeted domain; enabled`
- `relaydomain; name; host; service; enabled; verify` (1.6.2) or `...; host; port; service; ...`
- `account; login; password; first; last; enabled; role; address; quota; [domain; ...]`
- `alias|forward; address; enabled; recipient; ...`, `dlist; address; enabled; rcpt; rcpt; ...`
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..booleans import parse_bool
from ..bounds import problem
from ..exceptions import BadRequest
from ..models import (
    DOMAINADMINS,
    RESELLERS,
    SIMPLEUSERS,
    SUPERADMINS,
    Alias,
    AliasRecipient,
    Mailbox,
    User,
)
from ..passwords import SCHEME_CHOICES, stored_scheme
from .cells import restore

ROLES = (SIMPLEUSERS, DOMAINADMINS, RESELLERS, SUPERADMINS)
# Schemes verify_password understands: a value carrying one of them is an existing hash.
KNOWN_SCHEMES = set(SCHEME_CHOICES.values()) | {
    "MD5", "CLEAR", "CLEARTEXT", "SSHA", "ARGON2I", "LDAP-MD5",
}  # fmt: skip


def to_bool(value: str) -> bool:
    """A CSV boolean: yes, true, 1, y, on (any case) are true; anything else is false."""
    return parse_bool(value, default=False)


def trimmed(fields: list[str]) -> list[str]:
    """*fields* without trailing empty fields (`a;b;;` is `a;b`)."""
    end = len(fields)
    while end and not fields[end - 1]:
        end -= 1
    return fields[:end]


def count_error(kind: str, expected: str, got: int) -> BadRequest:
    """The message for a row with the wrong number of fields."""
    return BadRequest(f"Invalid line: a {kind} row has {expected} fields, this one has {got}.")


def megabytes(value: str, message: str) -> int:
    """A quota in MB (0 = unlimited); *message* when it is not a non-negative integer."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadRequest(message) from None
    if number < 0 or problem(Mailbox.quota, number):
        raise BadRequest(message)
    return number


def fits(column, value: str, what: str) -> str:
    """*value* when it fits *column*; else BadRequest naming *what* (the batched path
    writes rows without the ORM flush check, so rows are checked when parsed)."""
    message = problem(column, value)
    if message:
        raise BadRequest(f"{what}: {message}")
    return value


@dataclass
class DomainRow:
    name: str
    quota: int
    default_mailbox_quota: int | None
    enabled: bool


def parse_domain(fields: list[str]) -> DomainRow:
    """`domain` rows in the 1.6 (4 fields) or 2.x (5 fields) layout."""
    row = trimmed(fields)
    if len(row) not in (4, 5):
        raise count_error("domain", "4 (Modoboa 1.6) or 5 (Modoboa 2.x)", len(row))
    name = row[1]
    bad = f"Invalid quota value for domain '{name}'"
    quota = megabytes(row[2], bad)
    # 1.6 had one quota: mailboxes got it by default. Keep that meaning for 4-field rows.
    default = megabytes(row[3], bad) if len(row) == 5 else quota
    return DomainRow(name, quota, default, to_bool(row[-1]))


def parse_domain_alias(fields: list[str]) -> tuple[str, str, bool]:
    """`domainalias; name; target; enabled` -> (name, target, enabled)."""
    row = trimmed(fields)
    if len(row) != 4:
        raise count_error("domainalias", "4", len(row))
    return row[1], row[2], to_bool(row[3])


@dataclass
class RelayRow:
    name: str
    host: str
    port: int
    service: str
    enabled: bool
    verify: bool


def parse_relay_domain(fields: list[str]) -> RelayRow:
    """`relaydomain` rows of 1.6.2 (6 fields, port 25) or 1.6.3/2.x (7 fields)."""
    row = trimmed(fields)
    if len(row) == 6:
        _, name, host, service, enabled, verify = row
        port = "25"
    elif len(row) == 7:
        _, name, host, port, service, enabled, verify = row
    else:
        raise count_error("relaydomain", "6 (Modoboa 1.6.2) or 7 (with the target port)", len(row))
    try:
        port_number = int(port)
    except ValueError:
        raise BadRequest(f"Invalid target port '{port}' for relay domain '{name}'") from None
    return RelayRow(name, host, port_number, service, to_bool(enabled), to_bool(verify))


@dataclass
class AccountRow:
    username: str
    password: str
    first_name: str
    last_name: str
    enabled: bool
    role: str
    address: str
    quota: int | None
    domains: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)


def parse_account(fields: list[str]) -> AccountRow:
    """`account; login; password; first; last; enabled; role; [address; [quota; [domains]]]`.

    Free-text cells lose the `'` the export adds before formula characters (`cells.py`).
    """
    if len(trimmed(fields)) < 7:
        raise count_error("account", "at least 7", len(trimmed(fields)))
    username, password, first, last, enabled, role = fields[1:7]
    if role not in ROLES:
        raise BadRequest(f"Unknown role '{role}' for account '{username}'")
    if role != SIMPLEUSERS:  # a simple user's username is an address, never neutralised
        username = restore(username)
    # Checked after restore(): the export's `'` must not push a 30-character name over.
    fits(User.username, username, "Account username")
    fits(User.password, password, f"Password of account '{username}'")
    first = fits(User.first_name, restore(first), f"First name of account '{username}'")
    last = fits(User.last_name, restore(last), f"Last name of account '{username}'")
    address = fits(User.email, fields[7] if len(fields) > 7 else "", f"Address of '{username}'")
    quota = None
    if len(fields) > 8 and (fields[8] or address):
        quota = megabytes(fields[8], f"Account import failed ({username}): wrong quota value")
    return AccountRow(
        username=username,
        password=password,
        first_name=first,
        last_name=last,
        enabled=to_bool(enabled),
        role=role,
        address=address,
        quota=quota,
        domains=[name for name in fields[9:] if name],
        # Quotas and domain names never start with `'`: restoring every column is exact.
        extra=[restore(value) for value in fields[8:]],
    )


def parse_alias(kind: str, fields: list[str]) -> tuple[str, bool, list[str]]:
    """`alias|forward|dlist; address; enabled; recipient...` -> (address, enabled, recipients)."""
    minimum = 5 if kind == "dlist" else 4
    if len(fields) < minimum:
        raise count_error(kind, f"at least {minimum}", len(fields))
    fits(Alias.address, fields[1], "Alias address")
    recipients = [
        fits(AliasRecipient.address, value, f"Recipient of '{fields[1]}'")
        for value in fields[3:]
        if value
    ]
    if not recipients:
        raise BadRequest(f"No recipient defined for '{fields[1]}'")
    return fields[1], to_bool(fields[2]), recipients


def password_for(row: AccountRow, crypt: bool) -> tuple[str, str | None]:
    """(stored value, raw password to hash) following the `{SCHEME}` rule.

    A value carrying a known `{SCHEME}` prefix is an existing hash and is kept as is. Any
    other value is a plain password: hashed with the current scheme when "crypt passwords"
    is on, refused otherwise (storing it verbatim would lock the user out).
    """
    value = row.password
    if not value:
        return "", None
    scheme = stored_scheme(value)
    if scheme in KNOWN_SCHEMES:
        return value, None
    if crypt:
        return "", value
    if scheme:
        raise BadRequest(f"Unknown password scheme {{{scheme}}} for account '{row.username}'")
    raise BadRequest(
        f"The password of account '{row.username}' is not hashed (no {{SCHEME}} prefix): "
        'choose "Crypt passwords" to import plain passwords'
    )
