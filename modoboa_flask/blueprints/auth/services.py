"""Authentication: check credentials, open and close sessions, log what happened."""

from __future__ import annotations

from typing import NoReturn

from flask import g, request
from flask_login import login_user, logout_user
from sqlalchemy import func, select

from ... import audit, ldapauth, params, signals, throttle
from ...accounts import rehash_if_needed
from ...extensions import db
from ...models import User, utcnow
from ...passwords import dummy_hash, stored_scheme, verify_password
from ...sessions import end_session, open_session, renew_csrf_secret, session_max_age
from . import ldap_accounts

BAD_CREDENTIALS = "Your username and password didn't match. Please try again."


class LoginRefused(Exception):
    """Credentials refused; `status` is the HTTP code to answer, `retry_after` seconds."""

    def __init__(self, message: str, status: int = 401, retry_after: int = 0):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def authenticate(username: str, password: str) -> User:
    """Return the active user matching the credentials, or raise LoginRefused.

    With *Authentication type* = LDAP the directory is asked first, then local accounts
    (`is_local`): an LDAP account's password is only ever checked by the directory.
    """
    username = (username or "").strip()
    ip = throttle.client_address()
    wait = throttle.retry_after(throttle.WEB, ip, username.lower())
    if wait:
        raise LoginRefused(throttle.THROTTLED, 429, wait)
    directory_down = False
    directory_user = None
    if ldapauth.enabled():
        try:
            directory_user = ldapauth.authenticate(username, password)
        except ldapauth.DirectoryUnavailable:
            directory_down = True  # logged by ldapauth; local accounts still log in
    if directory_user is not None:
        try:
            user = ldap_accounts.provision(directory_user)
        except ldap_accounts.NotProvisioned as exc:
            _refuse(ip, username, str(exc), 403)
        if not user.is_active:
            _refuse(ip, username)
        throttle.forget_failures(throttle.WEB, ip, username.lower())
        g.login_checked_by_directory = True  # log_in must not store this password locally
        return user
    user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    # Unknown usernames, LDAP accounts and accounts whose stored value is no hash (which
    # never matches) cost one hash verification too: the timing must not tell them apart.
    real = user is not None and user.is_local and stored_scheme(user.password)
    stored = user.password if real else _dummy_hash()
    matched = verify_password(password, stored) and real
    # Inactive accounts get the same answer as a bad password: no account probing.
    if user is None or not user.is_active or not matched:
        if directory_down:
            _refuse(ip, username, ldapauth.UNAVAILABLE, 503)
        _refuse(ip, username)
    throttle.forget_failures(throttle.WEB, ip, username.lower())
    return user


def _refuse(ip: str, username: str, message: str = BAD_CREDENTIALS, status: int = 401) -> NoReturn:
    """Count and log a failed login, then raise LoginRefused."""
    db.session.rollback()  # nothing half-done by a refused login is kept
    throttle.record_failure(throttle.WEB, ip, username.lower())
    audit.record(
        f"Failed connection attempt from '{ip}' as user '{username[:100]}'",
        action="login_failed",
        level="WARNING",
        logger="modoboa.auth",
        username=username[:254],
    )
    db.session.commit()
    raise LoginRefused(message, status)


def _dummy_hash() -> str:
    return dummy_hash(params.get("core.password_scheme"), params.get("core.rounds_number"))


def log_in(user: User, password: str, remember: bool) -> None:
    """Open a server-side session for *user* and log the login."""
    open_session(user)
    # A password the directory accepted may differ from a local account's own one.
    if not g.get("login_checked_by_directory"):
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
    renew_csrf_secret()
    # The remember cookie expires with the session row's absolute lifetime, not later.
    login_user(user, remember=remember, duration=session_max_age())
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
    renew_csrf_secret()
