"""What a user changes on their own account: profile fields and password."""

from __future__ import annotations

from ... import audit, ldapauth, signals, throttle
from ...addresses import normalize_address
from ...exceptions import BadRequest, PermissionDenied
from ...models import User
from ...passwords import password_problems
from ...sessions import end_sessions
from .accounts_services import set_account_password
from .common import account_snapshot, record_change

PROFILE_FIELDS = ("first_name", "last_name", "language", "phone_number", "secondary_email")


def password_change_allowed(user: User) -> bool:
    """False when a PasswordChange receiver forbids changing *user*'s password here."""
    return True not in signals.collect(signals.password_change, user=user)


def update_profile(user: User, **fields) -> User:
    """Change the profile fields of *user* (by *user*)."""
    before = account_snapshot(user)
    for key in PROFILE_FIELDS:
        if key not in fields:
            continue
        value = (fields[key] or "").strip()
        if key == "secondary_email" and value:
            value = normalize_address(value, "secondary_email", strict=False)
        if key in ("first_name", "last_name"):
            value = value[:30]
        setattr(user, key, value or (None if key in ("phone_number", "secondary_email") else ""))
    if not user.language:
        user.language = "en"
    record_change(f"Profile of '{user.username}' modified", user, before, account_snapshot(user))
    signals.send(signals.account_modified, oldaccount=before, newaccount=user)
    return user


def change_own_password(user: User, old: str, new: str) -> None:
    """Check *old* and set *new*; the current session stays, the others end."""
    if not password_change_allowed(user):
        raise PermissionDenied("Your password can't be changed here", field="oldpassword")
    if not user.is_local:
        change_directory_password(user, old, new, throttle.WEB, keep_session=user.session_key)
        return
    # Throttled like logins: a borrowed session must not become a way to guess the password.
    try:
        matched = throttle.checked_password(
            throttle.WEB, user.username.lower(), old or "", user.password
        )
    except throttle.Throttled as exc:
        raise BadRequest(throttle.THROTTLED, field="oldpassword", status=429) from exc
    if not matched:
        raise BadRequest("Old password mismatch", field="oldpassword")
    try:
        set_account_password(user, user, new, keep_session=user.session_key)
    except BadRequest as exc:
        raise BadRequest(exc.message, field="newpassword") from None


def change_directory_password(
    user: User, old: str, new: str, channel: str, keep_session=None, error_fields=None
) -> None:
    """Change an LDAP account's password in the directory (never in the local table).

    The old password is checked by the directory under the same throttle as local re-checks;
    *error_fields* renames the error fields (old, new) for the API.
    """
    old_field, new_field = error_fields or ("oldpassword", "newpassword")
    problems = password_problems(new)
    if problems:
        raise BadRequest(" ".join(problems), field=new_field)
    try:
        changed = throttle.checked(
            channel,
            user.username.lower(),
            lambda: ldapauth.change_password(user.username, old or "", new),
        )
    except throttle.Throttled as exc:
        raise BadRequest(throttle.THROTTLED, field=old_field, status=429) from exc
    except ldapauth.DirectoryUnavailable as exc:
        raise BadRequest(str(exc), field=old_field, status=503) from None
    if not changed:
        raise BadRequest("Old password mismatch", field=old_field)
    end_sessions(user.id, keep_key=keep_session)
    audit.record(
        f"Password of account '{user.username}' changed in the LDAP directory",
        action="password",
        obj=user,
        level="WARNING",
    )
