"""Local accounts of LDAP users: created at the first login, role synced with admin groups.

Everything goes through the identities and domains services (same checks, limits, events
and audit as the UI), acting as the first super administrator: the directory, configured by
one, vouches for the user. The password column gets an unusable random hash: the directory
stays the only judge of the password (`is_local` is False).
"""

from __future__ import annotations

import contextlib
import logging
import secrets

from flask import g
from sqlalchemy import func, select

from ... import audit, params, signals
from ...accounts import first_superuser, set_role
from ...exceptions import ServiceError
from ...extensions import db
from ...ldapauth import DirectoryUser
from ...models import DOMAINADMINS, SIMPLEUSERS, Domain, User
from ...passwords import hash_password
from ..domains import services as domain_services
from ..identities import services as identity_services
from ..identities.grants import administered_domain_names

log = logging.getLogger("modoboa.ldap")


class NotProvisioned(Exception):
    """The directory accepted the password but no local account may be used (message safe)."""


CANNOT_CREATE = "Your account could not be created. Please contact your administrator."


@contextlib.contextmanager
def _acting_as(actor: User):
    """Run services as *actor* (audit rows name it) and restore the request's actor after."""
    previous = g.get("actor")
    g.actor = actor
    try:
        yield
    finally:
        g.actor = previous


def login_name(login: str) -> str:
    """The local username of a directory login (addresses are stored lower-case)."""
    login = (login or "").strip()
    return login.lower() if "@" in login else login


def local_account(login: str) -> User | None:
    """The account a login names, whatever the case."""
    name = login_name(login)
    return db.session.scalar(select(User).where(func.lower(User.username) == name.lower()))


def provision(directory_user: DirectoryUser) -> User:
    """The local account of *directory_user*: created on first login, role kept in sync.

    Raises NotProvisioned when the user may not log in (not an address and not an
    administrator, or a creation refused by a service: limits, conflicts).
    """
    name = login_name(directory_user.login)
    address = name if "@" in name else directory_user.email
    account = local_account(name)
    actor = first_superuser()
    if actor is None:
        log.error("No active super administrator: LDAP accounts cannot be created")
        raise NotProvisioned(CANNOT_CREATE)
    try:
        with _acting_as(actor), db.session.begin_nested():
            if account is None:
                if not directory_user.is_admin and "@" not in name:
                    raise NotProvisioned("Only e-mail addresses can log in here.")
                account = _create(actor, directory_user, name, address)
            elif not account.is_local:
                _sync_role(actor, account, directory_user, address)
    except ServiceError as exc:
        log.error("LDAP account %s not created or updated: %s", name, exc.message)
        raise NotProvisioned(CANNOT_CREATE) from None
    if not account.is_local and not directory_user.is_admin and "@" not in account.username:
        # Left the administrator groups: the grants are gone (committed), and a login that
        # is not an address has nothing else to open.
        db.session.commit()
        raise NotProvisioned("Only e-mail addresses can log in here.")
    return account


def _domain(address: str) -> Domain | None:
    if "@" not in (address or ""):
        return None
    name = address.rpartition("@")[2]
    return db.session.scalar(select(Domain).where(Domain.name == name))


def _create(actor: User, directory_user: DirectoryUser, name: str, address: str) -> User:
    auto = params.get("admin.auto_create_domain_and_mailbox")
    role = DOMAINADMINS if directory_user.is_admin else SIMPLEUSERS
    domain = _domain(address)
    if auto and address and domain is None:
        domain = domain_services.create_domain(actor, name=address.rpartition("@")[2])
    with_mailbox = bool(auto and address and domain is not None and domain.type == "domain")
    account = identity_services.create_account(
        actor,
        username=name,
        role=role,
        # Never the user's password: an unusable random one (Dovecot's SQL passdb reads it).
        password_hash=hash_password(
            secrets.token_urlsafe(32),
            params.get("core.password_scheme"),
            params.get("core.rounds_number"),
        ),
        first_name=directory_user.first_name,
        last_name=directory_user.last_name,
        email=address if with_mailbox else None,
        mailbox=with_mailbox,
        domains=(domain.name,) if role == DOMAINADMINS and domain is not None else (),
    )
    account.is_local = False
    if not with_mailbox and address:
        account.email = address  # where notifications reach them, as Modoboa fills it
    db.session.flush()
    signals.send(signals.account_auto_created, account=account)
    audit.record(
        f"Account '{name}' created at its first LDAP login",
        action="create",
        obj=account,
        logger="modoboa.auth",
    )
    return account


def _sync_role(actor: User, account: User, directory_user: DirectoryUser, address: str) -> None:
    """Make the role and the mail-domain grant follow the admin groups' membership."""
    domain = _domain(address)
    granted = administered_domain_names(account)
    if directory_user.is_admin:
        if account.role == SIMPLEUSERS:
            _change_role(account, DOMAINADMINS)
        if account.role == DOMAINADMINS and domain is not None and domain.name not in granted:
            domain_services.add_domain_admin(actor, domain, account)
        return
    if account.role != DOMAINADMINS:
        return
    for name in granted:
        grant = db.session.scalar(select(Domain).where(Domain.name == name))
        domain_services.remove_domain_admin(actor, grant, account)
    if "@" in account.username:
        _change_role(account, SIMPLEUSERS)


def _change_role(account: User, role: str) -> None:
    old = account.role
    set_role(account, role)
    db.session.flush()
    audit.record(
        f"Role of '{account.username}' set to {role} by its LDAP groups",
        action="modify",
        obj=account,
        changes={"role": [old, role]},
        logger="modoboa.auth",
    )
