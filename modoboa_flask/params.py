"""Parameter registry: typed global (admin-level) and per-user settings with defaults.

Apps and plugins register :class:`Param` definitions; values live in ``core_parameter`` /
``core_userparameter`` as text and are read back typed, with the default when unset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app, g, has_request_context
from sqlalchemy import select

from .extensions import db
from .models import Parameter, UserParameter

TYPES = ("int", "str", "bool", "choice", "list", "password", "text")


class ParamError(ValueError):
    """A value a parameter refuses; the message is shown next to the field."""


@dataclass(frozen=True)
class Param:
    """One parameter: its app, name, type, default, help and rules."""

    app: str
    name: str
    type: str
    default: object
    label: str = ""
    help: str = ""
    choices: tuple | Callable[[], list] = ()
    level: str = "A"  # "A" admin-level (global), "U" per user
    visible_if: tuple[str, object] | None = None  # (other param name, value) in the same app
    validator: Callable[[object], None] | None = None
    min_value: int | None = None
    max_value: int | None = None
    order: int = field(default=100, compare=False)

    @property
    def key(self) -> str:
        """`app.name`."""
        return f"{self.app}.{self.name}"

    def choice_list(self) -> list[tuple[str, str]]:
        """Choices as (value, label) pairs."""
        choices = self.choices() if callable(self.choices) else self.choices
        return [c if isinstance(c, tuple) else (c, c) for c in choices]

    def parse(self, raw) -> object:
        """Turn *raw* (text from a form, CLI or the database) into a typed, valid value."""
        if self.type == "int":
            try:
                value = int(str(raw).strip())
            except (TypeError, ValueError):
                raise ParamError("Enter a whole number.") from None
            if self.min_value is not None and value < self.min_value:
                raise ParamError(f"Must be at least {self.min_value}.")
            if self.max_value is not None and value > self.max_value:
                raise ParamError(f"Must be at most {self.max_value}.")
        elif self.type == "bool":
            if isinstance(raw, bool):
                value = raw
            else:
                text = str(raw).strip().lower()
                if text not in ("yes", "no", "true", "false", "1", "0", "y", "n", "on", "off"):
                    raise ParamError("Enter yes or no.")
                value = text in ("yes", "true", "1", "y", "on")
        elif self.type == "choice":
            value = str(raw).strip()
            if value not in [v for v, _label in self.choice_list()]:
                raise ParamError(f"Select a valid choice. {value} is not one of the choices.")
        elif self.type == "list":
            if isinstance(raw, list | tuple):
                value = [str(v).strip() for v in raw if str(v).strip()]
            else:
                text = str(raw or "").replace(",", "\n").replace(";", "\n")
                value = [v.strip() for v in text.splitlines() if v.strip()]
        else:
            value = "" if raw is None else str(raw)
        if self.validator is not None:
            self.validator(value)
        return value

    def dump(self, value) -> str:
        """Text form of a typed value, as stored."""
        if self.type == "bool":
            return "yes" if value else "no"
        if self.type == "list":
            return "\n".join(value)
        return str(value)


_REGISTRY: dict[str, Param] = {}
APP_LABELS: dict[str, str] = {"core": "General"}


def register(*params: Param, label: str | None = None) -> None:
    """Register parameters (idempotent: re-registering replaces the definition)."""
    for param in params:
        _REGISTRY[param.key] = param
        if label:
            APP_LABELS[param.app] = label


def definition(key: str) -> Param:
    """The Param registered as `app.name`; KeyError when unknown."""
    if key not in _REGISTRY:
        raise KeyError(f"Unknown parameter {key}")
    return _REGISTRY[key]


def definitions(app: str | None = None, level: str | None = None) -> list[Param]:
    """Registered parameters, optionally of one app and level, in display order."""
    return [
        p
        for p in sorted(_REGISTRY.values(), key=lambda p: (p.app != "core", p.app, p.order))
        if (app is None or p.app == app) and (level is None or p.level == level)
    ]


def enabled_apps() -> list[str]:
    """Apps the current application registered parameters for (plugins may be off)."""
    return current_app.extensions.get("modoboa_param_apps", ["core", "admin"])


def _global_values() -> dict[str, str]:
    cache = g.get("_params") if has_request_context() else None
    if cache is None:
        cache = {f"{p.app}.{p.name}": p.value for p in db.session.scalars(select(Parameter))}
        if has_request_context():
            g._params = cache
    return cache


def get(key: str):
    """Typed value of the global parameter `app.name` (its default when unset)."""
    param = definition(key)
    raw = _global_values().get(key)
    if raw is None:
        # Deployments (and the test suite) may change a default through config.
        raw = current_app.config.get("PARAMETER_DEFAULTS", {}).get(key)
    if raw is None:
        return param.default
    try:
        return param.parse(raw)
    except ParamError:
        return param.default  # a stale stored value never breaks a page


def set(key: str, raw) -> object:
    """Validate and store a global parameter; return the typed value. Caller commits."""
    param = definition(key)
    value = param.parse(raw)
    row = db.session.scalar(
        select(Parameter).where(Parameter.app == param.app, Parameter.name == param.name)
    )
    if row is None:
        row = Parameter(app=param.app, name=param.name)
        db.session.add(row)
    row.value = param.dump(value)
    if has_request_context():
        g.pop("_params", None)
    return value


def get_user(user, key: str):
    """Typed value of the per-user parameter `app.name` for *user*."""
    param = definition(key)
    row = db.session.scalar(
        select(UserParameter).where(
            UserParameter.user_id == user.id,
            UserParameter.app == param.app,
            UserParameter.name == param.name,
        )
    )
    if row is None:
        return param.default
    try:
        return param.parse(row.value)
    except ParamError:
        return param.default


def set_user(user, key: str, raw) -> object:
    """Validate and store a per-user parameter. Caller commits."""
    param = definition(key)
    value = param.parse(raw)
    row = db.session.scalar(
        select(UserParameter).where(
            UserParameter.user_id == user.id,
            UserParameter.app == param.app,
            UserParameter.name == param.name,
        )
    )
    if row is None:
        row = UserParameter(user_id=user.id, app=param.app, name=param.name)
        db.session.add(row)
    row.value = param.dump(value)
    return value


def _rounds_ok(value):
    if not 1000 <= value <= 999999999:
        raise ParamError("Invalid rounds number")


def _core_params() -> list[Param]:
    from .passwords import available_schemes

    return [
        Param(
            "core",
            "password_scheme",
            "choice",
            "sha512crypt",
            "Default password scheme",
            "Scheme used to crypt mailbox passwords",
            choices=available_schemes,
            order=10,
        ),
        Param(
            "core",
            "rounds_number",
            "int",
            70000,
            "Rounds",
            "Number of rounds to use (only used by sha256crypt and sha512crypt).",
            validator=_rounds_ok,
            order=11,
        ),
        Param(
            "core",
            "items_per_page",
            "int",
            30,
            "Items per page",
            "Number of displayed items per page",
            min_value=1,
            max_value=500,
            order=20,
        ),
        Param(
            "core",
            "log_maximum_age",
            "int",
            365,
            "Maximum log record age",
            "The maximum age in days of a log record",
            min_value=1,
            order=30,
        ),
        Param(
            "core",
            "default_top_redirection",
            "choice",
            "user",
            "Default top redirection",
            "The default redirection used when no application is specified",
            choices=(("user", "User profile"),),
            order=40,
        ),
    ]


def _admin_params() -> list[Param]:
    return [
        Param(
            "admin",
            "handle_mailboxes",
            "bool",
            False,
            "Handle mailboxes on filesystem",
            "Rename or remove mailboxes on the filesystem when they get renamed or removed",
            order=10,
        ),
        Param(
            "admin",
            "mailboxes_owner",
            "str",
            "vmail",
            "Mailboxes owner",
            "The UNIX account who owns mailboxes on the filesystem",
            order=11,
        ),
        Param(
            "admin",
            "default_domain_quota",
            "int",
            0,
            "Default domain quota",
            "Default quota (in MB) applied to freshly created domains with no value "
            "specified. A value of 0 means no quota.",
            min_value=0,
            order=20,
        ),
        Param(
            "admin",
            "default_mailbox_quota",
            "int",
            0,
            "Default mailbox quota",
            "Default quota (in MB) applied to mailboxes of freshly created domains. "
            "A value of 0 means no quota.",
            min_value=0,
            order=21,
        ),
        Param(
            "admin",
            "auto_account_removal",
            "bool",
            False,
            "Automatic account removal",
            "When a mailbox is removed, also remove the associated account",
            order=30,
        ),
    ]


def register_defaults() -> None:
    """Register the core (General) and admin (Administration) parameters."""
    register(*_core_params(), label="General")
    register(*_admin_params(), label="Administration")
