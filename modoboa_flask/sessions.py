"""Server-side login sessions: the cookie holds a random key; its hash is a database row.

A row ends (and is deleted) when it was not used for `core.session_idle_timeout` minutes or
is older than `core.session_max_age` hours, whichever comes first: the cookie that carries the
key (session or "remember me") cannot revive it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, g, has_request_context, request, session
from sqlalchemy import delete, select

from . import params
from .extensions import db
from .models import User, UserSession, utcnow

# Writing last_seen on every request would turn every page view into a write; the idle
# timeout is then honoured to within this much.
_TOUCH_EVERY = timedelta(minutes=5)


def session_idle_timeout() -> timedelta:
    """How long an unused session stays open (parameter `core.session_idle_timeout`)."""
    return timedelta(minutes=params.get("core.session_idle_timeout"))


def session_max_age() -> timedelta:
    """How long a session may last however busy (parameter `core.session_max_age`)."""
    return timedelta(hours=params.get("core.session_max_age"))


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def open_session(user: User) -> str:
    """Create a session row for *user* and return the key to put in the cookie."""
    # Rows of browsers that never came back are swept at each login too (not only by
    # `flask cleanup`), so a missing cron line cannot let the table grow without bound.
    db.session.execute(delete(UserSession).where(expired_sessions(utcnow())))
    key = secrets.token_urlsafe(32)
    row = UserSession(key_hash=_digest(key), user_id=user.id)
    if has_request_context():
        row.ip_address = (request.remote_addr or "")[:45]
        row.user_agent = (request.user_agent.string or "")[:255]
    db.session.add(row)
    user.session_key = key
    return key


def load_session_user(key: str) -> User | None:
    """Return the active user of session *key*, or None when it was ended."""
    if not key:
        return None
    # One round trip for the session row and its user (this runs on every request).
    found = db.session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.key_hash == _digest(key))
    ).first()
    if found is None:
        return None
    row, user = found
    if not user.is_active:
        return None
    now = utcnow()
    idle = session_idle_timeout()
    if now - row.last_seen >= idle or now - row.created >= session_max_age():
        db.session.delete(row)
        db.session.commit()
        if has_request_context():
            session["_remember"] = "clear"  # Flask-Login drops the remember cookie too
            g.session_expired = True  # the login page says why
        return None
    if now - row.last_seen > min(_TOUCH_EVERY, idle / 12):
        row.last_seen = now
        db.session.commit()
    user.session_key = key
    return user


def renew_csrf_secret() -> None:
    """Forget the CSRF secret of this browser session (login, logout): a new one follows.

    A token read before the login (or by the previous user of the browser) stops working.
    """
    name = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(name, None)
    g.pop(name, None)  # Flask-WTF caches the signed token for the request


def end_session(key: str | None) -> None:
    """Delete the session row of *key* (logout)."""
    if key:
        db.session.execute(delete(UserSession).where(UserSession.key_hash == _digest(key)))


def end_sessions(user_id: int, keep_key: str | None = None) -> None:
    """End every session of a user except *keep_key* (password change, disable, delete)."""
    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_key:
        stmt = stmt.where(UserSession.key_hash != _digest(keep_key))
    db.session.execute(stmt)


def expired_sessions(now):
    """A WHERE clause for the rows no login can use any more (what `flask cleanup` deletes).

    The same rule `load_session_user` applies: idle for `core.session_idle_timeout` or older
    than `core.session_max_age`, "remember me" or not.
    """
    return (UserSession.last_seen <= now - session_idle_timeout()) | (
        UserSession.created <= now - session_max_age()
    )
