"""Parameters and audit-log services shared by the settings pages and the CLI."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import or_, select

from ... import audit, params
from ...bounds import problem
from ...exceptions import BadRequest, NotFound
from ...extensions import db
from ...ldapauth import Step, check_connection
from ...models import Log

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Who may open the "Modoboa" area: super admins hold every permission; no role grants it.
PERMISSION = "settings.manage"


def app_params(app_name: str, level: str = "A") -> list[params.Param]:
    """The parameters of *app_name* at *level*; NotFound for an unknown application."""
    found = params.definitions(app_name, level)
    if not found:
        raise NotFound(f"Unknown application {app_name}")
    return found


def save_values(actor, app_name: str, raw: dict, user=None) -> tuple[dict, dict]:
    """Validate and store the parameters of one app (per *user* when given).

    Returns (typed values, errors by field name); nothing is written when there are errors.
    Each changed value is audited with its before/after (secrets masked). Caller commits.
    """
    level = "A" if user is None else "U"
    definitions = app_params(app_name, level)
    current = params.values(app_name, level, user)
    values, errors = params.validate(definitions, current, raw)
    if errors:
        return values, errors
    for param in definitions:
        before, after = current.get(param.name), values.get(param.name)
        if param.name not in raw or before == after:
            continue
        if user is None:
            params.set(param.key, param.dump(after))
        else:
            params.set_user(user, param.key, param.dump(after))
        _audit_change(param, before, after, user)
    return values, errors


def _audit_change(param: params.Param, before, after, user) -> None:
    changes = {param.key: [param.display(before), param.display(after)]}
    if param.secret:
        changes = {param.key: ["***", "***"]}
    who = audit.actor()
    whose = f" of user {user.username}" if user is not None else ""
    entry = audit.record(
        f"Parameter '{param.key}'{whose} modified by user {who.username if who else '-'}",
        action="modify",
        object_type="Parameter" if user is None else "UserParameter",
        changes=changes,
        level="WARNING" if user is None else "INFO",
        logger="modoboa.admin",
    )
    entry.object_repr = param.key
    entry.object_id = user.id if user is not None else None


def set_parameter(actor, key: str, raw: str) -> object:
    """Validate and store one global parameter `app.name` (the CLI's `parameters set`)."""
    try:
        param = params.definition(key)
    except KeyError:
        raise NotFound(f"Unknown parameter {key}") from None
    if param.level != "A":
        raise BadRequest(f"{key} is a per-user parameter")
    values, errors = save_values(actor, param.app, {param.name: raw})
    if errors:
        message = "; ".join(
            f"{param.app}.{name}: {error}" if name != param.name else error
            for name, error in errors.items()
        )
        raise BadRequest(message, field=param.name)
    return values[param.name]


def _day(text: str) -> datetime | None:
    try:
        day = datetime.strptime((text or "").strip(), "%Y-%m-%d")
    except ValueError:
        return None
    return None if problem(Log.date_created, day) else day  # years MariaDB holds


def log_filters(args) -> dict:
    """The Logs page filters read from query args (invalid values are dropped)."""
    level = (args.get("level") or "").upper()
    return {
        "level": level if level in LEVELS else "",
        "logger": (args.get("logger") or "").strip(),
        "user": (args.get("user") or "").strip(),
        "object": (args.get("object") or "").strip(),
        "date_from": args.get("date_from", "") if _day(args.get("date_from")) else "",
        "date_to": args.get("date_to", "") if _day(args.get("date_to")) else "",
        "q": (args.get("q") or "").strip(),
    }


def log_query(filters: dict):
    """Select the audit rows matching *filters*, newest first."""
    stmt = select(Log).order_by(Log.date_created.desc(), Log.id.desc())
    if filters["level"]:
        stmt = stmt.where(Log.level == filters["level"])
    if filters["logger"]:
        stmt = stmt.where(Log.logger == filters["logger"])
    if filters["user"]:
        stmt = stmt.where(Log.username.contains(filters["user"], autoescape=True))
    if filters["object"]:
        text = filters["object"]
        stmt = stmt.where(
            or_(Log.object_type == text, Log.object_repr.contains(text, autoescape=True))
        )
    if filters["date_from"]:
        stmt = stmt.where(Log.date_created >= _day(filters["date_from"]))
    end = _day(filters["date_to"]) if filters["date_to"] else None
    if end is not None and end.date() < date.max:  # the day after 9999-12-31 overflows
        stmt = stmt.where(Log.date_created < end + timedelta(days=1))
    if filters["q"]:
        stmt = stmt.where(Log.message.contains(filters["q"], autoescape=True))
    return stmt


def known_loggers() -> list[str]:
    """Distinct logger names present in the log (for the filter's choices)."""
    return list(db.session.scalars(select(Log.logger).distinct().order_by(Log.logger)))


def check_ldap(raw: dict, sample_user: str) -> list:
    """Run the LDAP connection check with the General tab's submitted (unsaved) values."""
    definitions = app_params("core")
    values, errors = params.validate(definitions, params.values("core"), raw)
    labels = {p.name: p.label for p in definitions}
    if errors:
        return [
            Step("Settings", False, f"{labels[name]}: {message}")
            for name, message in errors.items()
        ]
    return check_connection(sample_user.strip(), {f"core.{k}": v for k, v in values.items()})
