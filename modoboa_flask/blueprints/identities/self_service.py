"""What a user changes on their own account: profile fields (the password: `change_password`)."""

from __future__ import annotations

from ... import signals
from ...addresses import normalize_address
from ...models import User
from .common import account_snapshot, record_change

PROFILE_FIELDS = ("first_name", "last_name", "language", "phone_number", "secondary_email")


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
