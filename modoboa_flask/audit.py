"""The audit log: who changed what, when, from where and through which channel."""

from __future__ import annotations

from flask import g, has_app_context, has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import Log

# One vocabulary for the Logs page filters and for readers of core_log.
ACTIONS = {
    "", "create", "modify", "delete", "password", "login", "login_failed", "logout",
    "mailbox_operation", "import", "export", "cleanup",
}  # fmt: skip
SECRET_FIELDS = {"password", "password1", "password2", "key_hash", "secret_key"}


def actor():
    """The user on whose behalf the current code runs (request user, or CLI/API actor)."""
    if has_app_context() and g.get("actor") is not None:
        return g.actor
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def channel() -> str:
    """'ui', 'api' or 'cli'."""
    if has_app_context() and g.get("channel"):
        return g.channel
    return "ui" if has_request_context() else "cli"


def diff(before: dict, after: dict) -> dict:
    """Changed fields as {field: [old, new]}, never a secret's value."""
    if not before:  # a creation (the batched import audits thousands at a time)
        return {
            key: ["***", "***"] if key in SECRET_FIELDS else [None, _plain(value)]
            for key, value in sorted(after.items())
            if value is not None
        }
    changes = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            changes[key] = ["***", "***"] if key in SECRET_FIELDS else [_plain(old), _plain(new)]
    return changes


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return str(value)


def record(
    message: str,
    *,
    action: str = "",
    obj=None,
    object_type: str = "",
    changes: dict | None = None,
    level: str = "INFO",
    logger: str = "modoboa.admin",
    username: str | None = None,
) -> Log:
    """Add an audit row to the session (committed with the change it describes)."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown audit action {action!r}")
    who = actor()
    entry = Log(
        message=message[:255],
        level=level,
        logger=logger,
        username=username if username is not None else (who.username if who else ""),
        ip_address=(request.remote_addr or "") if has_request_context() else "",
        channel=channel(),
        action=action,
        object_type=object_type or (type(obj).__name__ if obj is not None else ""),
        object_id=getattr(obj, "id", None),
        object_repr=(
            str(
                getattr(obj, "name", None)
                or getattr(obj, "address", None)
                or getattr(obj, "username", None)
                or ""
            )
            if obj is not None
            else ""
        )[:254],
        changes={k: v for k, v in (changes or {}).items() if k not in SECRET_FIELDS} or None,
    )
    db.session.add(entry)
    return entry
