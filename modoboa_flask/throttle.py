"""The one failed-authentication throttle of the login form and the API.

Failures are rows of `core_loginfailure`, so every worker process sees them. They are counted
per channel (`web` = the login form, `api` = token authentication) so that one channel's
failures never block the other, and within a channel:

- per (account, client address): an attacker guessing a password from one address cannot lock
  the owner out, who logs in from another address (bad API keys name no account; password
  re-checks through the API, `accounts/<pk>/password/`, do);
- per client address, with a higher limit (`ADDRESS_FACTOR`): several users may share a NAT.

Password re-checks (the profile's old password, the API's password change) use the same
budgets through `checked_password`.

The limits are `LOGIN_THROTTLE_ATTEMPTS` failures inside `LOGIN_THROTTLE_WINDOW` seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import delete, func, select

from .extensions import db
from .models import LoginFailure, utcnow
from .passwords import verify_password


class Throttled(Exception):
    """Too many failures: try again in `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


WEB = "web"
API = "api"
THROTTLED = "Too many failed attempts. Please wait a few minutes and try again."
# An address gets more room than an account: several users may share a NAT.
ADDRESS_FACTOR = 4


def client_address() -> str:
    """The client's address (ProxyFix sets it from X-Forwarded-For when proxies are trusted)."""
    return (request.remote_addr or "")[:45]


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["LOGIN_THROTTLE_WINDOW"])


def retry_after(channel: str, address: str, username: str | None = None) -> int:
    """Seconds to wait before *address* may try again on *channel* (0 = now).

    With *username*, the (account, address) budget is checked too.
    """
    window, now = _window(), utcnow()
    limit = current_app.config["LOGIN_THROTTLE_ATTEMPTS"]
    recent = select(func.count(), func.min(LoginFailure.created)).where(
        LoginFailure.channel == channel,
        LoginFailure.ip_address == address[:45],
        LoginFailure.created > now - window,
    )
    checks = [(recent, limit * ADDRESS_FACTOR)]
    if username is not None:
        checks.append((recent.where(LoginFailure.username == username[:254]), limit))
    wait = 0
    for stmt, allowed in checks:
        count, oldest = db.session.execute(stmt).one()
        if count >= allowed and oldest is not None:
            # The budget frees up when the oldest counted failure leaves the window.
            wait = max(wait, int((oldest + window - now).total_seconds()) + 1)
    return wait


def record_failure(channel: str, address: str, username: str = "") -> None:
    """Count one failure (and forget those older than the window). The caller commits."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.created < utcnow() - _window()))
    db.session.add(LoginFailure(channel=channel, username=username[:254], ip_address=address[:45]))


def checked_password(channel: str, username: str, password: str, stored: str) -> bool:
    """`verify_password` for a password re-check of *username* (old password, API check).

    Raises `Throttled` once the (account, address) or address budget is spent, without even
    checking; a mismatch is counted and committed at once, because the refusal that follows
    rolls the request back. Call it before the request writes anything.
    """
    return checked(channel, username, lambda: verify_password(password, stored))


def checked(channel: str, username: str, check: Callable[[], bool]) -> bool:
    """Run the password *check* of *username* under the budgets (see `checked_password`)."""
    address = client_address()
    wait = retry_after(channel, address, username)
    if wait:
        raise Throttled(wait)
    if check():
        return True
    record_failure(channel, address, username)
    db.session.commit()
    return False


def forget_failures(channel: str, address: str, username: str) -> None:
    """Clear the (account, address) failures after a successful login. The caller commits."""
    db.session.execute(
        delete(LoginFailure).where(
            LoginFailure.channel == channel,
            LoginFailure.ip_address == address[:45],
            LoginFailure.username == username[:254],
        )
    )
