"""Authentication: check credentials, open and close sessions, log what happened."""

from __future__ import annotations

from flask import request
from flask_login import login_user, logout_user
from sqlalchemy import func, select

from ... import audit, signals
from ...accounts import rehash_if_needed
from ...extensions import db
from ...models import User, utcnow
from ...passwords import verify_password
from ...security import login_throttled, record_login_failure
from ...sessions import end_session, open_session

BAD_CREDENTIALS = "Your username and password didn't match. Please try again."
THROTTLED = "Too many failed attempts. Please wait a few minutes and try again."


class LoginRefused(Exception):
    """Credentials refused; `status` is the HTTP code to answer."""

    def __init__(self, message: str, status: int = 401):
        super().__init__(message)
        self.status = status


def authenticate(username: str, password: str) -> User:
    """Return the active user matching the credentials, or raise LoginRefused."""
    username = (username or "").strip()
    ip = request.remote_addr or ""
    if login_throttled(username.lower(), ip):
        raise LoginRefused(THROTTLED, 429)
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    # Inactive accounts get the same answer as a bad password: no account probing.
    if user is None or not user.is_active or not verify_password(password, user.password):
        record_login_failure(username.lower(), ip)
        audit.record(
            f"Failed connection attempt from '{ip}' as user '{username[:100]}'",
            action="login_failed",
            level="WARNING",
            logger="modoboa.auth",
            username=username[:254],
        )
        db.session.commit()
        raise LoginRefused(BAD_CREDENTIALS)
    return user


def log_in(user: User, password: str, remember: bool) -> None:
    """Open a server-side session for *user* and log the login."""
    open_session(user)
    rehash_if_needed(user, password)
    user.last_login = utcnow()
    audit.record(
        f"User '{user.username}' successfully logged in",
        action="login",
        obj=user,
        logger="modoboa.auth",
        username=user.username,
    )
    db.session.commit()
    login_user(user, remember=remember)
    signals.send(signals.user_login, request=request, username=user.username, password=password)


def log_out(user: User) -> None:
    """End the current session on the server (a copied cookie stops working too)."""
    signals.send(signals.user_logout, request=request)
    end_session(user.session_key)
    audit.record(
        f"User '{user.username}' logged out",
        action="logout",
        obj=user,
        logger="modoboa.auth",
        username=user.username,
    )
    db.session.commit()
    logout_user()
