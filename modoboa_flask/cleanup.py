"""`flask cleanup`, the one periodic job: delete what has outlived its use.

Database parts (run under the database-wide lock `cleanup`, see `locks.py`, so the same
cron line may run on every node): audit records older than `core.log_maximum_age` days,
abandoned login sessions, login failures older than the throttle window, expired API tokens.
The node-local part, abandoned import uploads, runs on every node, lock or not.

Done mailbox operations need no part: `handle-mailbox-operations` deletes an operation as
soon as it succeeds; failed ones stay for an administrator to see.
Each part returns a `Result`; a dry run counts the same rows and deletes nothing. Nothing
here commits: the command does, once, while it holds the lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from . import audit, params
from .extensions import db
from .imports import uploads
from .models import ApiToken, Log, LoginFailure, UserSession, utcnow
from .sessions import expired_sessions


@dataclass(frozen=True)
class Result:
    """How many *things* a part deleted (or would delete)."""

    count: int
    things: str

    def line(self, dry_run: bool) -> str:
        """`Deleted 3 log record(s) older than 365 days.` (`Would delete` for a dry run)."""
        return f"{'Would delete' if dry_run else 'Deleted'} {self.count} {self.things}."


def _purge(model, condition, dry_run: bool) -> int:
    if dry_run:
        return db.session.scalar(select(func.count()).select_from(model).where(condition))
    return db.session.execute(delete(model).where(condition)).rowcount or 0


def old_logs(now: datetime, dry_run: bool = False) -> Result:
    """Audit records older than `core.log_maximum_age` days."""
    days = params.get("core.log_maximum_age")
    count = _purge(Log, Log.date_created < now - timedelta(days=days), dry_run)
    return Result(count, f"log record(s) older than {days} days")


def abandoned_sessions(now: datetime, dry_run: bool = False) -> Result:
    """Login sessions no browser can use any more (`sessions.expired_sessions`)."""
    return Result(_purge(UserSession, expired_sessions(now), dry_run), "abandoned session(s)")


def old_login_failures(now: datetime, dry_run: bool = False) -> Result:
    """Failed logins older than the throttle window (they no longer count)."""
    seconds = current_app.config["LOGIN_THROTTLE_WINDOW"]
    condition = LoginFailure.created < now - timedelta(seconds=seconds)
    return Result(
        _purge(LoginFailure, condition, dry_run),
        f"login failure(s) older than {seconds} seconds",
    )


def expired_api_tokens(now: datetime, dry_run: bool = False) -> Result:
    """API tokens past their expiry date (refused since then), each deletion audited."""
    condition = ApiToken.expires_at.is_not(None) & (ApiToken.expires_at <= now)
    if dry_run:
        return Result(_purge(ApiToken, condition, True), "expired API token(s)")
    tokens = list(db.session.scalars(select(ApiToken).where(condition).order_by(ApiToken.id)))
    for token in tokens:
        # The token's owner should find out why a script stopped, as with a revocation.
        audit.record(
            f"API token {token.prefix}… of '{token.user.username}' expired and deleted",
            action="delete", obj=token, object_type="ApiToken", logger="modoboa.core",
        )  # fmt: skip
        db.session.delete(token)
    return Result(len(tokens), "expired API token(s)")


def abandoned_uploads(dry_run: bool = False) -> Result:
    """Import uploads never committed, older than their expiry (this node's folder)."""
    count = uploads.purge_expired(dry_run=dry_run)
    return Result(count, f"abandoned upload file(s) older than {uploads.TTL // 60} minutes")


DATABASE_PARTS = (old_logs, abandoned_sessions, old_login_failures, expired_api_tokens)


def clean_database(now: datetime | None = None, dry_run: bool = False) -> list[Result]:
    """Run every database part (the caller holds the lock and commits or rolls back)."""
    now = now or utcnow()
    return [part(now, dry_run) for part in DATABASE_PARTS]
