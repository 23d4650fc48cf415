"""The LDAP directory (python-ldap): search or direct bind, admin groups, password changes.

One module for every caller: the login form, the profile and API password changes, the
`flask ldap-check` command and the parameters page's *Test connection* button. It reads the
`core.ldap_*` parameters and never touches the database: creating the local account of a
directory user is `blueprints/auth/ldap_accounts.py`'s job.

Injection: a login goes into a filter through `escape_filter_chars` and into a DN template
through `escape_dn_chars`, so `*)(uid=*` is looked up literally.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from dataclasses import dataclass, field

import ldap
from ldap.dn import escape_dn_chars
from ldap.filter import escape_filter_chars
from passlib.hash import ldap_salted_sha1

from . import params
from .passwords import SCHEME_CHOICES, hash_password

log = logging.getLogger("modoboa.ldap")

UNAVAILABLE = "The authentication directory is unavailable. Please try again in a few minutes."
# Failures meaning "the server is not there or too slow", as opposed to a refused request.
_DOWN = (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.CONNECT_ERROR)


class DirectoryUnavailable(Exception):
    """The directory could not be reached, answered too slowly or refused the service bind."""


@dataclass(frozen=True)
class Config:
    """The `core.ldap_*` parameters, read once per operation."""

    uri: str
    tls_method: str  # "" (plain), "ldaps" or "starttls"
    ca_file: str
    timeout: int
    active_directory: bool
    method: str
    bind_dn: str
    bind_password: str
    search_base: str
    search_filter: str
    dn_template: str
    password_attribute: str
    admin_groups: tuple[str, ...]
    group_type: str
    groups_base: str
    attributes: dict = field(default_factory=dict)  # first_name/last_name/email -> attribute

    @classmethod
    def load(cls, values: dict | None = None) -> Config:
        """Read the parameters; *values* (typed, by `core.` key) win (unsaved form values)."""
        values = values or {}

        def get(key):
            return values[key] if key in values else params.get(key)

        tls = get("core.ldap_tls_method") if get("core.ldap_secured") else ""
        host = get("core.ldap_server_address")
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 address in a URI
        scheme = "ldaps" if tls == "ldaps" else "ldap"
        groups = get("core.ldap_admin_groups")
        return cls(
            uri=f"{scheme}://{host}:{get('core.ldap_server_port')}",
            tls_method=tls,
            ca_file=get("core.ldap_ca_certificate"),
            timeout=get("core.ldap_timeout"),
            active_directory=get("core.ldap_is_active_directory"),
            method=get("core.ldap_auth_method"),
            bind_dn=get("core.ldap_bind_dn"),
            bind_password=get("core.ldap_bind_password"),
            search_base=get("core.ldap_search_base"),
            search_filter=get("core.ldap_search_filter"),
            dn_template=get("core.ldap_user_dn_template"),
            password_attribute=get("core.ldap_password_attribute") or "userPassword",
            admin_groups=tuple(g.strip() for g in groups.split(";") if g.strip()),
            group_type=get("core.ldap_group_type"),
            groups_base=get("core.ldap_groups_search_base"),
            attributes={
                "first_name": get("core.ldap_first_name_attribute"),
                "last_name": get("core.ldap_last_name_attribute"),
                "email": get("core.ldap_email_attribute"),
                "uid": "uid",
            },
        )


def enabled() -> bool:
    """True when *Authentication type* is LDAP."""
    return params.get("core.authentication_type") == "ldap"


@dataclass
class DirectoryUser:
    """A directory entry whose password was just checked."""

    dn: str
    login: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    uid: str = ""
    admin_groups: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        """Member of one of the configured administrator groups."""
        return bool(self.admin_groups)


def connect(config: Config):
    """An LDAP connection with timeouts and TLS set (StartTLS done); may raise ldap errors."""
    conn = ldap.initialize(config.uri)
    conn.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
    # Both: the TCP connect (NETWORK_TIMEOUT) and every synchronous operation (TIMEOUT).
    conn.set_option(ldap.OPT_NETWORK_TIMEOUT, config.timeout)
    conn.set_option(ldap.OPT_TIMEOUT, config.timeout)
    if config.active_directory:
        # AD answers searches of a domain root with referrals that libldap would chase
        # anonymously (and fail on): turn them off, as Modoboa does.
        conn.set_option(ldap.OPT_REFERRALS, 0)
    if config.tls_method:
        if config.ca_file:
            conn.set_option(ldap.OPT_X_TLS_CACERTFILE, config.ca_file)
        conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
        conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)  # last: applies the TLS options above
    if config.tls_method == "starttls":
        conn.start_tls_s()
    return conn


@contextlib.contextmanager
def _connection(config: Config, step: str):
    """A connection closed after use; any LDAP error becomes DirectoryUnavailable (logged)."""
    conn = None
    try:
        conn = connect(config)
        yield conn
    except ldap.LDAPError as exc:
        raise _unavailable(config, step, exc) from None
    finally:
        if conn is not None:
            _close(conn)


def _close(conn) -> None:
    try:
        conn.unbind_s()
    except ldap.LDAPError:
        pass


def describe(exc: ldap.LDAPError) -> str:
    """A one-line explanation of an ldap error (no secrets: python-ldap never echoes them)."""
    info = exc.args[0] if exc.args and isinstance(exc.args[0], dict) else {}
    text = info.get("desc") or type(exc).__name__
    if info.get("info"):
        text += f" ({info['info']})"
    return text


def _unavailable(config: Config, step: str, exc: ldap.LDAPError) -> DirectoryUnavailable:
    log.error("LDAP %s failed on %s: %s", step, config.uri, describe(exc))
    return DirectoryUnavailable(UNAVAILABLE)


def _text(attrs: dict, name: str) -> str:
    for key, values in attrs.items():
        if key.lower() == (name or "").lower() and values:
            return values[0].decode("utf-8", "replace")
    return ""


def _entry(conn, config: Config, login: str):
    """The (dn, attributes) the search filter finds for *login*; None unless exactly one."""
    wanted = [a for a in config.attributes.values() if a]
    query = config.search_filter % {"user": escape_filter_chars(login)}
    try:
        found = conn.search_ext_s(
            config.search_base,
            ldap.SCOPE_SUBTREE,
            query,
            wanted,
            timeout=config.timeout,
            sizelimit=2,
        )
    except ldap.SIZELIMIT_EXCEEDED:
        found = [(None, {})] * 2
    entries = [(dn, attrs) for dn, attrs in found if dn]  # referrals have no DN
    if len(found) > 1 and len(entries) != 1:
        log.warning("LDAP filter %s matches several entries: login refused", query)
        return None
    return entries[0] if entries else None


def _read(conn, config: Config, dn: str) -> dict:
    wanted = [a for a in config.attributes.values() if a]
    timeout = config.timeout
    found = conn.search_ext_s(dn, ldap.SCOPE_BASE, "(objectClass=*)", wanted, timeout=timeout)
    return found[0][1] if found and found[0][0] else {}


def admin_groups(conn, config: Config, dn: str, uid: str) -> tuple[str, ...]:
    """The configured administrator groups *dn* (or *uid*, for posixGroup) belongs to."""
    base = config.groups_base or config.search_base
    if not config.admin_groups or not base:
        return ()
    if config.group_type == "groupofnames":
        query = f"(&(objectClass=groupOfNames)(member={escape_filter_chars(dn)}))"
    else:
        query = f"(&(objectClass=posixGroup)(memberUid={escape_filter_chars(uid)}))"
    found = conn.search_ext_s(base, ldap.SCOPE_SUBTREE, query, ["cn"], timeout=config.timeout)
    names = {
        value.decode("utf-8", "replace").lower()
        for entry_dn, attrs in found
        if entry_dn
        for value in attrs.get("cn", [])
    }
    return tuple(g for g in config.admin_groups if g.lower() in names)


def _user_bind(conn, dn: str, password: str) -> bool:
    try:
        conn.simple_bind_s(dn, password)
    except (ldap.INVALID_CREDENTIALS, ldap.INVALID_DN_SYNTAX, ldap.UNWILLING_TO_PERFORM):
        return False
    return True


def _service_bind(conn, config: Config) -> None:
    try:
        conn.simple_bind_s(config.bind_dn, config.bind_password)
    except ldap.INVALID_CREDENTIALS as exc:
        raise _unavailable(config, "bind with the configured bind DN", exc) from None


def _check(conn, config: Config, login: str, password: str) -> DirectoryUser | None:
    """Find and bind as *login*; the connection stays bound as the user on success."""
    if config.method == "directbind":
        dn = config.dn_template % {"user": escape_dn_chars(login)}
        if not _user_bind(conn, dn, password):
            return None
        try:
            attrs = _read(conn, config, dn)
        except (ldap.NO_SUCH_OBJECT, ldap.INSUFFICIENT_ACCESS):
            attrs = {}  # a directory that hides entries from their owners: the login is all
    else:
        _service_bind(conn, config)
        entry = _entry(conn, config, login)
        if entry is None:
            # Bind anyway (to a DN that cannot exist) so an unknown login costs the same
            # round trips as a wrong password: the answer time names no user.
            _user_bind(conn, f"cn=unknown-{secrets.token_hex(8)},{config.search_base}", password)
            return None
        dn, attrs = entry
        if not _user_bind(conn, dn, password):
            return None
    uid = _text(attrs, "uid") or login
    return DirectoryUser(
        dn=dn,
        login=login,
        first_name=_text(attrs, config.attributes["first_name"]),
        last_name=_text(attrs, config.attributes["last_name"]),
        email=_text(attrs, config.attributes["email"]).strip().lower(),
        uid=uid,
        admin_groups=admin_groups(conn, config, dn, uid),
    )


def authenticate(login: str, password: str) -> DirectoryUser | None:
    """The directory user *login* when *password* is theirs, else None.

    Raises DirectoryUnavailable (logged) when the directory cannot answer in time.
    """
    # An empty password is an "unauthenticated bind" that servers accept: never a login.
    if not login or not password:
        return None
    config = Config.load()
    with _connection(config, "authentication") as conn:
        return _check(conn, config, login, password)


def ldap_hash(raw: str) -> str:
    """*raw* hashed for a `userPassword`-style attribute (crypt family as `{CRYPT}`)."""
    scheme = params.get("core.password_scheme")
    dovecot = SCHEME_CHOICES.get(scheme, scheme.upper())
    if dovecot.endswith("CRYPT"):
        value = hash_password(raw, scheme, params.get("core.rounds_number"))
        return "{CRYPT}" + value.partition("}")[2]
    return hash_password(raw, "ssha512") if dovecot == "SSHA512" else _ssha(raw)


def _ssha(raw: str) -> str:
    return ldap_salted_sha1.hash(raw)


def change_password(login: str, old: str, new: str) -> bool:
    """Set *login*'s directory password to *new*; False when *old* is not their password.

    Uses the password-modify extended operation for `userPassword` (the server hashes it
    its own way), otherwise replaces `ldap_password_attribute` with a hash.
    """
    if not login or not old:
        return False
    config = Config.load()
    with _connection(config, "password change") as conn:
        user = _check(conn, config, login, old)
        if user is None:
            return False
        if config.password_attribute.lower() == "userpassword":
            conn.passwd_s(user.dn, old, new)
        else:
            value = ldap_hash(new).encode()
            conn.modify_s(user.dn, [(ldap.MOD_REPLACE, config.password_attribute, [value])])
    log.info("LDAP password of %s changed", user.dn)
    return True


@dataclass
class Step:
    """One step of a connection check: what was tried and how it went, in plain words."""

    name: str
    ok: bool
    message: str


def check_connection(sample_user: str = "", values: dict | None = None) -> list[Step]:
    """Connect, bind, search for *sample_user* and list their admin groups, step by step.

    *values* are `core.ldap_*` values to try instead of the saved ones.
    """
    config = Config.load(values)
    steps: list[Step] = []
    tls = {"ldaps": " over TLS (ldaps)", "starttls": " with StartTLS"}.get(config.tls_method, "")
    try:
        conn = connect(config)
        conn.whoami_s()  # libldap connects lazily: make it happen now
    except ldap.LDAPError as exc:
        steps.append(Step("Connect", False, f"Could not connect to {config.uri}: {describe(exc)}"))
        return steps
    steps.append(Step("Connect", True, f"Connected to {config.uri}{tls}."))
    try:
        _check_steps(conn, config, sample_user, steps)
    except ldap.LDAPError as exc:
        steps.append(Step(steps[-1].name if steps else "LDAP", False, describe(exc)))
    finally:
        _close(conn)
    return steps


def _check_steps(conn, config: Config, sample_user: str, steps: list[Step]) -> None:
    if config.method == "searchbind":
        who = config.bind_dn or "anonymous"
        try:
            conn.simple_bind_s(config.bind_dn, config.bind_password)
        except ldap.INVALID_CREDENTIALS:
            steps.append(Step("Bind", False, f"The server refused the bind DN {who}."))
            return
        steps.append(Step("Bind", True, f"Bound as {who}."))
    if not sample_user:
        return
    if config.method == "searchbind":
        entry = _entry(conn, config, sample_user)
        query = config.search_filter % {"user": escape_filter_chars(sample_user)}
        if entry is None:
            message = f"No single entry matches {query} under {config.search_base}."
            steps.append(Step("Search", False, message))
            return
        dn, attrs = entry
        steps.append(Step("Search", True, f"{query} found {dn}."))
    else:
        dn = config.dn_template % {"user": escape_dn_chars(sample_user)}
        try:
            attrs = _read(conn, config, dn)
        except ldap.NO_SUCH_OBJECT:
            steps.append(Step("Entry", False, f"{dn} does not exist."))
            return
        except ldap.LDAPError:
            attrs = {}
        note = "found" if attrs else "not readable without the user's password"
        steps.append(Step("Entry", True, f"The user's DN is {dn} ({note})."))
    email = _text(attrs, config.attributes["email"])
    steps.append(
        Step(
            "Attributes",
            bool(email) or "@" in sample_user,
            f"E-mail: {email or 'none'}; first name: "
            f"{_text(attrs, config.attributes['first_name']) or 'none'}; last name: "
            f"{_text(attrs, config.attributes['last_name']) or 'none'}.",
        )
    )
    if config.admin_groups:
        groups = admin_groups(conn, config, dn, _text(attrs, "uid") or sample_user)
        text = (
            f"Member of the administrator groups {', '.join(groups)}."
            if groups
            else "Not a member of any administrator group."
        )
        steps.append(Step("Groups", True, text))
