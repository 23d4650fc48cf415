"""Names and addresses: IDNA domain names, local parts, addresses and catch-alls.

The one home of these rules (issue 12): the domains, identities, API, CSV import and
settings code all call this module. The local-part rule also keeps mail directories inside
their tenant (issue 11): a mailbox's directory is `<domain>/<local part>`, so a local part
such as `../b.com/u2` or `..` would let one tenant's rename or delete reach another
tenant's mail, or the whole mail store.

Local parts of addresses we create (accounts, mailboxes, aliases) are RFC 5321 dot-atoms:
RFC 5322 `atext` (letters, digits and ``!#$%&'*+=?^_`{|}~-``, as Modoboa accepted) minus
`/`, plus non-ASCII letters, marks and digits (RFC 6531, e.g. `ééé@example.com`), with no
leading, trailing or double dot and no leading `-` (it would read as an option to
`doveadm` and other tools). Quoted local parts are refused. External addresses (alias
recipients, forwards, sender and secondary addresses) never become a path: their local
part only has to be free of `/`, `\\`, NUL, control characters, spaces and address
separators, so real-world addresses such as `first..last@` stay deliverable.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata

import idna

from .exceptions import BadRequest

MAX_LOCAL = 64  # RFC 5321 4.5.3.1.1, in octets
MAX_ADDRESS = 254  # RFC 5321 path limit (256) minus the angle brackets
MAX_DOMAIN = 253  # RFC 1035, without the final dot
MAX_LABEL = 63

_ATEXT = frozenset(string.ascii_letters + string.digits + "!#$%&'*+=?^_`{|}~-")
# Characters an external local part may not hold: they split lists, quote, or make paths.
_EXTERNAL_FORBIDDEN = frozenset('/\\@,;:<>()[]"')


def shown(value: str, limit: int = 100) -> str:
    """*value* for a message: control characters escaped, long values cut."""
    text = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _unsafe_char(ch: str) -> str | None:
    """Why *ch* can't be in any name (None when it may): it makes paths or hides text."""
    if ch == "\x00":
        return "NUL"
    if ch in "/\\":
        return f"'{ch}'"
    if ch.isspace():
        return "spaces"
    if unicodedata.category(ch)[0] == "C":  # Cc controls, Cf format (bidi overrides...)
        return "control characters"
    return None


def _char_problem(ch: str, *, strict: bool) -> str | None:
    """Why *ch* can't be in a local part (None when it can)."""
    unsafe = _unsafe_char(ch)
    if unsafe:
        return unsafe
    category = unicodedata.category(ch)
    if ord(ch) < 128:
        if (strict and ch not in _ATEXT and ch != ".") or ch in _EXTERNAL_FORBIDDEN:
            return f"'{ch}'"
        return None
    if strict and category[0] not in "LMN":  # RFC 6531 letters, marks, digits only
        return f"'{ch}'"
    return None


def local_part_problem(local: str, *, strict: bool = True, max_length=MAX_LOCAL) -> str | None:
    """Why *local* is not an acceptable local part (None when it is).

    *strict* applies the dot-atom rule of addresses we create; external recipients are
    checked with strict=False (see the module docstring).
    """
    if not local:
        return "the local part is empty"
    for ch in local:
        reason = _char_problem(ch, strict=strict)
        if reason:
            return f"the local part can't contain {reason}"
    if len(local.encode()) > max_length:
        return f"the local part is limited to {max_length} characters"
    if not strict:
        return None
    if local.startswith(".") or local.endswith("."):
        return "the local part can't start or end with a dot"
    if ".." in local:
        return "the local part can't contain two dots in a row"
    if local.startswith("-"):
        return "the local part can't start with '-'"
    return None


def check_stored_local_part(local: str, address: str, action: str) -> None:
    """Refuse to *action* ("move", "delete") the mail directory of a stored mailbox whose
    local part breaks the rule: Modoboa stored such names, and `a.com/..` is the whole
    mail store (issue 11). `flask repair --dry-run` lists them.
    """
    reason = local_part_problem(local)
    if reason:
        raise BadRequest(
            f"Can't {action} the mail directory of {shown(address)}: {reason}. Keep the "
            "directory (it is outside its domain's) and see `flask repair --dry-run`.",
            field="email",
        )


def check_local_part(value: str, field: str | None = None) -> str:
    """The lower-cased local part *value* of an address we create; BadRequest when invalid."""
    local = (value or "").strip().lower()
    if not local or "@" in local:
        raise BadRequest("Enter a local part without '@' (for example: admin).", field=field)
    reason = local_part_problem(local)
    if reason:
        raise BadRequest(f"Invalid local part '{shown(local)}': {reason}.", field=field)
    return local


@functools.lru_cache(maxsize=4096)
def _encode_domain(raw: str) -> tuple[str, str]:
    """(A-label name, '') or ('', reason); cached: IDNA costs ~100 µs a call (CSV imports)."""
    try:
        # UTS 46 mapping lower-cases and folds Unicode the way browsers and MTAs do.
        ascii_name = idna.encode(raw, uts46=True).decode("ascii")
        idna.decode(ascii_name)  # refuses malformed "xn--" labels given as-is
    except (idna.IDNAError, UnicodeError) as exc:
        if "label too long" in str(exc).lower():
            return "", f"a label of a domain name is limited to {MAX_LABEL} characters"
        if "domain too long" in str(exc).lower():
            return "", f"a domain name is limited to {MAX_DOMAIN} characters"
        return "", ""
    labels = ascii_name.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return "", "it needs a dot and a top-level domain"
    return ascii_name, ""


def _address_domain_problem(domain: str) -> str | None:
    # No stripping here: "a@ b.com" is not an address (a trailing dot is fine, as in DNS).
    domain = domain.rstrip(".")
    if not domain:
        return "the domain name is empty"
    ascii_name, reason = _encode_domain(domain)
    return None if ascii_name else reason or "not a valid domain name"


def domain_problem(name: str) -> str | None:
    """Why *name* is not a valid domain name (None when it is)."""
    raw = (name or "").strip().rstrip(".")
    if not raw:
        return "the domain name is empty"
    return _address_domain_problem(raw)


def normalize_domain(name, field: str | None = "name", max_length: int = MAX_DOMAIN) -> str:
    """Lower-case IDNA A-label of the domain name *name*; BadRequest when invalid."""
    raw = (name or "").strip().rstrip(".")
    if not raw:
        raise BadRequest("Enter a domain name.", field=field)
    ascii_name, reason = _encode_domain(raw)
    if not ascii_name:
        detail = f" ({reason})" if reason else ""
        raise BadRequest(f"'{shown(raw)}' is not a valid domain name{detail}.", field=field)
    if len(ascii_name) > max_length:
        raise BadRequest(f"A domain name is limited to {max_length} characters.", field=field)
    return ascii_name


def domain_or_empty(name) -> str:
    """The normalized domain name, or '' when *name* is not one (lookups, search filters)."""
    raw = (name or "").strip().rstrip(".")
    return _encode_domain(raw)[0] if raw else ""


def address_problem(value: str, *, strict: bool = True, catchall: bool = False) -> str | None:
    """Why *value* (already stripped) is not a valid address (None when it is)."""
    if value.count("@") != 1:
        return "an address is local-part@domain"
    local, _, domain = value.partition("@")
    domain_reason = _address_domain_problem(domain)
    if not local and catchall:
        return domain_reason
    reason = local_part_problem(local, strict=strict) or domain_reason
    if reason:
        return reason
    if len(value.encode()) > MAX_ADDRESS:
        return f"an address is limited to {MAX_ADDRESS} characters"
    return None


def normalize_address(
    value: str, field: str | None = None, *, catchall: bool = False, strict: bool = True
) -> str:
    """Lower-case `local@domain` (domain IDNA-encoded); BadRequest when invalid.

    *catchall* also accepts `@domain`; *strict* (addresses we create) applies the dot-atom
    local-part rule, strict=False the external-recipient rule.
    """
    value = (value or "").strip().lower()
    reason = address_problem(value, strict=strict, catchall=catchall)
    if reason:
        text = shown(value) or "(empty)"
        if reason in ("an address is local-part@domain", "not a valid domain name"):
            raise BadRequest(f"Invalid e-mail address: {text}", field=field)
        raise BadRequest(f"Invalid e-mail address: {text} ({reason})", field=field)
    local, _, domain = value.partition("@")
    return f"{local}@{_encode_domain(domain.rstrip('.'))[0]}"


def is_address(value: str, *, strict: bool = False, catchall: bool = False) -> bool:
    """True when *value* is a valid address (`@domain` too when *catchall*)."""
    return address_problem((value or "").strip(), strict=strict, catchall=catchall) is None


def split_list(values) -> list[str]:
    """Addresses from a textarea string (spaces, commas, semicolons) or a list."""
    if isinstance(values, str):
        values = re.split(r"[\s,;]+", values)
    return [value for value in values or () if value and value.strip()]


def clean_list(values, field: str, *, catchall: bool = False, strict: bool = True) -> list[str]:
    """Normalize a list of addresses, dropping blanks and duplicates (order kept)."""
    seen: dict[str, None] = {}
    for value in split_list(values):
        seen.setdefault(normalize_address(value, field, catchall=catchall, strict=strict), None)
    return list(seen)


def username_problem(username: str) -> str | None:
    """Why *username* can't be an administrator's login name (None when it can).

    A simple user's username is its mailbox address (`normalize_address` applies). Other
    accounts' usernames never name a mail directory (their mailbox has its own address),
    so Modoboa's free login names stay valid; only path separators, NUL, control
    characters, spaces and the names `.` and `..` are refused.
    """
    if not username:
        return "the username is empty"
    for ch in username:
        reason = _unsafe_char(ch)
        if reason:
            return f"the username can't contain {reason}"
    if username in (".", ".."):
        return f"the username can't be '{username}'"
    if len(username) > MAX_ADDRESS:
        return f"the username is limited to {MAX_ADDRESS} characters"
    return None


def display_domain(name: str | None) -> str:
    """Unicode form of a stored A-label name (the raw value when it does not decode)."""
    if not name:
        return ""
    prefix = "@" if name.startswith("@") else ""
    try:
        return prefix + idna.decode(name.removeprefix("@"))
    except (idna.IDNAError, UnicodeError):
        return name


def display_address(address: str | None) -> str:
    """An address with its domain part decoded for display."""
    if not address or "@" not in address:
        return address or ""
    local, _, domain = address.rpartition("@")
    return f"{local}@{display_domain(domain)}"
