"""API tokens: created (the key is shown once), looked up by hash, listed and revoked.

Only a SHA-256 of a key is stored, with its first characters for display. Services never
commit; the settings page, the CLI command and the authentication hook do.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from ... import audit
from ...bounds import to_id
from ...exceptions import BadRequest, NotFound
from ...extensions import db
from ...models import ApiToken, User, utcnow

PREFIX_LENGTH = 8
# last_used is written at most this often: a busy script must not turn reads into writes.
TOUCH_EVERY = timedelta(minutes=1)
MAX_EXPIRY_DAYS = 3650


def digest(key: str) -> str:
    """The stored form of *key*."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_token(
    actor, user: User, *, name: str = "", read_only: bool = False, expires_in_days=None
) -> tuple[ApiToken, str]:
    """Create a token for *user* (the actor itself, or any account for the CLI); return it and
    its clear key, which is never stored and cannot be shown again."""
    if actor.id != user.id and not actor.is_superuser:
        raise NotFound("Account not found.")
    name = (name or "").strip()
    if len(name) > 100:
        raise BadRequest("Ensure this field has no more than 100 characters.", field="name")
    expires_at = None
    if expires_in_days not in (None, ""):
        try:
            days = int(expires_in_days)
        except (TypeError, ValueError):
            raise BadRequest("Enter a whole number of days.", field="expires_in") from None
        if not 1 <= days <= MAX_EXPIRY_DAYS:
            raise BadRequest(
                f"Enter a number of days between 1 and {MAX_EXPIRY_DAYS}.", field="expires_in"
            )
        expires_at = utcnow() + timedelta(days=days)
    # 40 hex characters, the shape of Modoboa's (DRF's) keys: existing clients store them as is.
    key = secrets.token_hex(20)
    token = ApiToken(
        user_id=user.id,
        key_hash=digest(key),
        prefix=key[:PREFIX_LENGTH],
        name=name,
        read_only=bool(read_only),
        expires_at=expires_at,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        f"API token {token.prefix}… created for '{user.username}'",
        action="create",
        obj=token,
        object_type="ApiToken",
        changes={"read_only": [None, token.read_only], "expires_at": [None, str(expires_at)]},
        logger="modoboa.core",
    )
    return token, key


def tokens_of(user: User) -> list[ApiToken]:
    """*user*'s tokens, newest first."""
    stmt = select(ApiToken).where(ApiToken.user_id == user.id)
    return list(db.session.scalars(stmt.order_by(ApiToken.created.desc(), ApiToken.id.desc())))


def revoke_token(actor, token_id) -> None:
    """Delete one of *actor*'s tokens (super admins may revoke anyone's)."""
    token_id = to_id(token_id)
    token = db.session.get(ApiToken, token_id) if token_id is not None else None
    if token is None or (token.user_id != actor.id and not actor.is_superuser):
        raise NotFound("Token not found.")
    audit.record(
        f"API token {token.prefix}… of '{token.user.username}' revoked",
        action="delete",
        obj=token,
        object_type="ApiToken",
        logger="modoboa.core",
        level="WARNING",
    )
    db.session.delete(token)


def find_token(key: str) -> ApiToken | None:
    """The token whose key is *key*, or None."""
    return db.session.scalar(select(ApiToken).where(ApiToken.key_hash == digest(key)))


def is_expired(token: ApiToken) -> bool:
    """True once the token's expiry date has passed."""
    return token.expires_at is not None and token.expires_at <= utcnow()


def touch(token: ApiToken) -> None:
    """Record a use of *token*, at most once per TOUCH_EVERY (its own small commit)."""
    now = utcnow()
    if token.last_used is not None and now - token.last_used < TOUCH_EVERY:
        return
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id)
        .values(last_used=now)
        .execution_options(synchronize_session=False)
    )
    token.last_used = now
    db.session.commit()
