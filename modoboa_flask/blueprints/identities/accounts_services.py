"""Accounts: create, edit, delete, set passwords; the mailbox parts live in mailboxes.py."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update

from ... import audit, ldapauth, signals, throttle
from ...accounts import set_password, set_role
from ...addresses import domain_or_empty, normalize_address, username_problem
from ...exceptions import BadRequest, Conflict, PermissionDenied
from ...extensions import db
from ...models import (
    SIMPLEUSERS,
    SUPERADMINS,
    Domain,
    DomainAdmin,
    User,
)
from ...passwords import password_problems
from ...permissions import (
    assignable_roles,
    authorize,
    can_access,
    can_manage_account,
    is_domain_admin_of,
)
from ...sessions import end_sessions
from . import mailboxes
from .common import (
    NO_ACCESS,
    account_snapshot,
    hosted_domain,
    not_found,
    record_change,
    require_perm,
)
from .grants import set_domains

MASTER_ONLY_SUPERADMINS = "Only super administrators are allowed for this mode"
TAKEN = "An account with this username already exists"
UNAVAILABLE = "This username is not available"
DIRECTORY_PASSWORD = (
    "This account's password is kept in the LDAP directory: change it there, or let the "
    "user change it from their profile"
)
_PROFILE_FIELDS = ("first_name", "last_name", "language", "phone_number", "secondary_email")


def allowed_roles(actor, account=None) -> list[str]:
    """Roles *actor* may give *account*: assignable ones plus plugin roles (GetExtraRoles)."""
    extra = [
        value
        for value, _label in signals.collect(signals.get_extra_roles, user=actor, account=account)
    ]
    return assignable_roles(actor, account) + [r for r in extra if actor.is_superuser]


def check_account_scope(actor, account: User) -> None:
    """Refuse unless *actor* may manage *account*: 403 when it sees it (a peer), else 404."""
    if can_manage_account(actor, account):
        return
    if actor.id == account.id:
        raise PermissionDenied("Change your own account from your profile")
    if can_access(actor, account):
        raise PermissionDenied(f"You may not manage the account {account.username}")
    raise not_found()


def _check_username(actor, username: str, role: str, exclude_id=None) -> str:
    username = (username or "").strip()
    if role == SIMPLEUSERS:
        username = normalize_address(username, "username")
    reason = username_problem(username)
    if reason:
        raise BadRequest(f"Enter a valid username ({reason})", field="username")
    # Before the uniqueness check: whether another tenant's address is taken must not show.
    check_username_domain(actor, username)
    stmt = select(User.id).where(func.lower(User.username) == username.lower())
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        # Scoped administrators get one answer whoever holds the name.
        message = TAKEN if actor.is_superuser else UNAVAILABLE
        raise Conflict(message, field="username")
    return username


def check_username_domain(actor, username: str) -> None:
    """Refuse (403) an address username in a hosted domain *actor* does not administer.

    The same refusal whether or not the address is taken, so that a scoped administrator
    cannot probe which mailboxes other tenants have. Addresses of domains not hosted here
    and plain names stay free: those need a global uniqueness answer.
    """
    if actor.is_superuser or "@" not in username:
        return
    domain = hosted_domain(domain_or_empty(username.rpartition("@")[2]))
    if domain is not None and not is_domain_admin_of(actor, domain):
        raise PermissionDenied(NO_ACCESS, field="username")


def _check_password(raw: str) -> None:
    problems = password_problems(raw)
    if problems:
        raise BadRequest(" ".join(problems), field="password")


def _check_master(actor, master_user, role) -> bool:
    if not master_user:
        return False
    if not actor.is_superuser:
        raise PermissionDenied("Permission denied", field="master_user")
    if role != SUPERADMINS:
        raise BadRequest(MASTER_ONLY_SUPERADMINS, field="master_user")
    return True


def create_account(
    actor,
    *,
    username,
    role=SIMPLEUSERS,
    password=None,
    password_hash=None,
    first_name="",
    last_name="",
    is_active=True,
    master_user=False,
    email=None,
    quota=None,
    use_domain_quota=False,
    aliases=(),
    sender_addresses=(),
    domains=(),
    language="en",
    phone_number=None,
    secondary_email=None,
    mailbox=True,
) -> User:
    """Create an account (with its mailbox when it has an e-mail address).

    `mailbox=False` creates none, even for a simple user (an LDAP account created while
    automatic domain/mailbox creation is off).
    """
    authorize(actor, "accounts.add")
    if role not in allowed_roles(actor, None):
        raise BadRequest(
            f"Select a valid choice. {role} is not one of the available choices.", field="role"
        )
    username = _check_username(actor, username, role)
    account = User(
        username=username,
        role=role,
        is_superuser=role == SUPERADMINS,
        first_name=(first_name or "")[:30],
        last_name=(last_name or "")[:30],
        is_active=bool(is_active),
        master_user=_check_master(actor, master_user, role),
        language=language or "en",
        phone_number=phone_number or None,
        secondary_email=secondary_email or None,
        owner_id=actor.id,
        email="",
    )
    if password:
        _check_password(password)
        set_password(account, password, is_creation=True)
    elif password_hash:
        account.password = password_hash
    db.session.add(account)
    db.session.flush()
    if role == SIMPLEUSERS and mailbox:
        if email and normalize_address(email, "email") != username:
            raise BadRequest("Must be equal to the username for simple users", field="email")
        email = username
    if email and mailbox:
        mailbox = mailboxes.create_mailbox(
            actor, account, normalize_address(email, "email"), quota, use_domain_quota
        )
        mailboxes.set_mailbox_aliases(actor, mailbox, aliases, enabled=account.is_active)
        mailboxes.set_sender_addresses(actor, mailbox, sender_addresses)
    elif aliases or sender_addresses:
        raise BadRequest("A mailbox is required for aliases", field="aliases")
    set_domains(actor, account, domains)
    db.session.flush()
    signals.send(signals.account_created, account=account, creator=actor)
    audit.record(
        f"Account '{username}' added",
        action="create",
        obj=account,
        changes=audit.diff({}, account_snapshot(account)),
    )
    return account


def update_account(actor, account: User, **changes) -> User:
    """Change *account*; keys are create_account's (quota None = domain default)."""
    authorize(actor, "accounts.change")
    check_account_scope(actor, account)
    before = account_snapshot(account)
    myself = actor.id == account.id
    if "is_active" in changes and not changes["is_active"] and myself:
        raise BadRequest("You can't disable your own account", field="is_active")
    role = changes.get("role") or account.role
    if role != account.role:
        if myself:
            raise BadRequest("You can't change your own role", field="role")
        if role not in allowed_roles(actor, account):
            raise BadRequest(
                f"Select a valid choice. {role} is not one of the available choices.", field="role"
            )
        set_role(account, role)
        if role == SIMPLEUSERS:
            db.session.execute(delete(DomainAdmin).where(DomainAdmin.user_id == account.id))
        if role != SUPERADMINS:
            account.master_user = False
    if "master_user" in changes:
        account.master_user = _check_master(actor, changes["master_user"], account.role)
    if "username" in changes or role == SIMPLEUSERS:
        account.username = _check_username(
            actor, changes.get("username", account.username), account.role, exclude_id=account.id
        )
    _update_mailbox(actor, account, changes)
    for key in _PROFILE_FIELDS:
        if key in changes:
            value = changes[key]
            setattr(account, key, (value or "")[:30] if "name" in key else value or None)
    if changes.get("language"):
        account.language = changes["language"]
    if "is_active" in changes:
        account.is_active = bool(changes["is_active"])
        if not account.is_active:
            end_sessions(account.id)
    if "domains" in changes:
        set_domains(actor, account, changes["domains"])
    if changes.get("password"):
        change_password(actor, account, changes["password"])
    db.session.flush()
    record_change(
        f"Account '{account.username}' modified", account, before, account_snapshot(account)
    )
    signals.send(signals.account_modified, oldaccount=before, newaccount=account)
    return account


def _update_mailbox(actor, account: User, changes: dict) -> None:
    """Create, rename, re-quota or remove the mailbox as *changes* ask."""
    mailbox = account.mailbox
    if account.role == SIMPLEUSERS:
        email = account.username
        if changes.get("email") and normalize_address(changes["email"], "email") != email:
            raise BadRequest("Must be equal to the username for simple users", field="email")
    elif "email" in changes:
        email = normalize_address(changes["email"], "email") if changes["email"] else ""
    else:
        email = mailbox.full_address if mailbox else ""
    created = False
    if email and mailbox is None:
        mailbox = mailboxes.create_mailbox(
            actor, account, email, changes.get("quota"), changes.get("use_domain_quota", False)
        )
        created = True
    elif email and mailbox is not None:
        mailboxes.rename_mailbox(actor, mailbox, email)
    elif mailbox is not None:
        mailboxes.remove_mailbox(actor, mailbox, keep_dir=True)
        account.email, mailbox = "", None
    if mailbox is None:
        if changes.get("aliases") or changes.get("sender_addresses"):
            raise BadRequest("A mailbox is required for aliases", field="aliases")
        return
    if "quota" in changes and not created:
        mailboxes.set_mailbox_quota(
            actor, mailbox, changes["quota"], changes.get("use_domain_quota", False)
        )
    if "aliases" in changes:
        mailboxes.set_mailbox_aliases(actor, mailbox, changes["aliases"], account.is_active)
    if "sender_addresses" in changes:
        mailboxes.set_sender_addresses(actor, mailbox, changes["sender_addresses"])


OLD_PASSWORD_MISMATCH = "Old password mismatch"


def password_change_allowed(account: User) -> bool:
    """False when a PasswordChange receiver forbids changing *account*'s password here."""
    return True not in signals.collect(signals.password_change, user=account)


def change_password(
    actor, account: User, raw: str, *, old_password=None, channel=throttle.WEB, keep_session=None
) -> None:
    """The one password change (admin form, profile, API): scope, veto, old password, policy.

    A PasswordChange veto means nobody changes this account's password through this
    application (its password lives elsewhere), whoever asks. With *old_password* the
    current password is checked first, throttled like logins on *channel*:
    `throttle.Throttled` goes up to the caller, which answers it its own way. Other
    sessions end (all but *keep_session*); the change is audited.
    """
    if actor.id != account.id:
        require_perm(actor, "accounts.change")
        check_account_scope(actor, account)
    if not account.is_local and old_password is None:
        # The directory is the only judge of an LDAP account's password: no local copy.
        raise BadRequest(DIRECTORY_PASSWORD, field="password")
    if not password_change_allowed(account):
        raise PermissionDenied("This account's password can't be changed here", field="password")
    if not account.is_local:
        _change_in_directory(account, old_password, raw, channel, keep_session)
        return
    if old_password is not None and not throttle.checked_password(
        channel, account.username.lower(), old_password, account.password
    ):
        raise BadRequest(OLD_PASSWORD_MISMATCH, field="old_password")
    _check_password(raw)
    set_password(account, raw, keep_session=keep_session)
    audit.record(
        f"Password of account '{account.username}' changed",
        action="password",
        obj=account,
        level="WARNING",
    )


def _change_in_directory(account: User, old: str, raw: str, channel: str, keep_session) -> None:
    """An LDAP account's password: the directory checks *old* and takes *raw* (no local copy).

    The policy first (a weak password never reaches the directory); the directory's check
    counts in the same throttle as local re-checks.
    """
    _check_password(raw)
    try:
        changed = throttle.checked(
            channel,
            account.username.lower(),
            lambda: ldapauth.change_password(account.username, old or "", raw),
        )
    except ldapauth.DirectoryUnavailable as exc:
        raise BadRequest(str(exc), field="old_password", status=503) from None
    if not changed:
        raise BadRequest(OLD_PASSWORD_MISMATCH, field="old_password")
    end_sessions(account.id, keep_key=keep_session)
    audit.record(
        f"Password of account '{account.username}' changed in the LDAP directory",
        action="password",
        obj=account,
        level="WARNING",
    )


def delete_account(actor, account: User, keep_mb_dir=True) -> None:
    """Delete *account* with its mailbox; what it owned passes to its owner."""
    authorize(actor, "accounts.delete")
    if actor.id == account.id:
        raise BadRequest("You can't delete your own account")
    check_account_scope(actor, account)
    signals.send(signals.account_deleted, account=account, byuser=actor, keep_mb_dir=keep_mb_dir)
    if account.mailbox is not None:
        mailboxes.remove_mailbox(actor, account.mailbox, keep_dir=keep_mb_dir)
    heir = account.owner_id if account.owner_id not in (None, account.id) else actor.id
    db.session.execute(update(User).where(User.owner_id == account.id).values(owner_id=heir))
    db.session.execute(update(Domain).where(Domain.owner_id == account.id).values(owner_id=heir))
    db.session.execute(delete(DomainAdmin).where(DomainAdmin.user_id == account.id))
    end_sessions(account.id)
    audit.record(
        f"Account '{account.username}' deleted", action="delete", obj=account, level="CRITICAL"
    )
    db.session.delete(account)
    db.session.flush()
