"""Parameter registry: typed global (admin-level) and per-user settings with defaults.

The core registers its parameters once (``param_defs.register_defaults``); a plugin
registers its own on the app it is loaded into (``register(..., app=app)``), so a disabled
plugin leaves no trace.
``GetExtraParameters`` receivers add fields to another app's form. Values live in
``core_parameter`` / ``core_userparameter`` as text and are read back typed, with the
default when unset.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import select

from . import signals
from .booleans import parse_bool
from .bounds import INT32
from .extensions import db
from .models import Parameter, UserParameter

TYPES = ("int", "str", "bool", "choice", "list", "password", "text")
MASK = "********"


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
    required: bool = False  # only enforced while the field is visible

    @property
    def key(self) -> str:
        """`app.name`."""
        return f"{self.app}.{self.name}"

    @property
    def secret(self) -> bool:
        """True for values never shown back in clear (passwords, keys)."""
        return self.type == "password"

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
            low = self.min_value if self.min_value is not None else INT32[0]
            if value < low:
                raise ParamError(f"Must be at least {low}.")
            # Values are read back into 32-bit columns (quotas) or SQL: INT32 bounds all.
            high = self.max_value if self.max_value is not None else INT32[1]
            if value > high:
                raise ParamError(f"Must be at most {high}.")
        elif self.type == "bool":
            value = raw if isinstance(raw, bool) else _parse_bool(raw)
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
            value = "" if raw is None else str(raw).strip() if self.type == "str" else str(raw)
        if self.required and value in ("", []):
            raise ParamError("This field is required.")
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

    def display(self, value) -> str:
        """Text shown to people (CLI, audit): secrets are masked once set."""
        if self.secret:
            return MASK if value else ""
        return self.dump(value)


def _parse_bool(raw) -> bool:
    try:
        return parse_bool(raw)
    except ValueError:
        raise ParamError("Enter yes or no.") from None


_BUILTIN: dict[str, Param] = {}
_BUILTIN_LABELS: dict[str, str] = {"core": "General", "admin": "Administration"}


def _app_store(app=None) -> tuple[dict, dict]:
    """The (params, labels) registered by plugins on *app* (or the current app)."""
    if app is None:
        if not has_app_context():
            return {}, {}
        app = current_app
    return (
        app.extensions.setdefault("modoboa_params", {}),
        app.extensions.setdefault("modoboa_param_labels", {}),
    )


def register(*params: Param, label: str | None = None, app=None) -> None:
    """Register parameters: built-in ones globally, a plugin's on the *app* loading it."""
    store, labels = (_BUILTIN, _BUILTIN_LABELS) if app is None else _app_store(app)
    for param in params:
        store[param.key] = param
        if label:
            labels[param.app] = label


def app_label(app_name: str) -> str:
    """Display label of an application's parameter tab."""
    return _app_store()[1].get(app_name) or _BUILTIN_LABELS.get(app_name) or app_name.title()


def _extra(app_name: str, level: str) -> list[Param]:
    return [
        p
        for p in signals.collect(signals.get_extra_parameters, application=app_name, level=level)
        if isinstance(p, Param)
    ]


def _all(level: str | None) -> list[Param]:
    found = dict(_BUILTIN)
    found.update(_app_store()[0])
    for app_name in {p.app for p in found.values()}:
        for lvl in ("A", "U") if level is None else (level,):
            for extra in _extra(app_name, lvl):
                found.setdefault(extra.key, extra)
    enabled = {*enabled_apps()}
    # A builtin-registered param of a plugin that is not loaded here stays invisible.
    return [p for p in found.values() if p.app in enabled]


def definition(key: str) -> Param:
    """The Param registered as `app.name`; KeyError when unknown."""
    param = _app_store()[0].get(key) or _BUILTIN.get(key)
    if param is None:
        app_name = key.partition(".")[0]
        param = next(
            (p for p in _extra(app_name, "A") + _extra(app_name, "U") if p.key == key), None
        )
    if param is None:
        raise KeyError(f"Unknown parameter {key}")
    return param


def definitions(app: str | None = None, level: str | None = None) -> list[Param]:
    """Registered parameters, optionally of one app and level, in display order."""
    return [
        p
        for p in sorted(_all(level), key=lambda p: (p.app != "core", app_label(p.app), p.order))
        if (app is None or p.app == app) and (level is None or p.level == level)
    ]


def applications(level: str = "A") -> list[tuple[str, str]]:
    """(app, label) of the apps having parameters of *level*: General first, then by label."""
    names = {p.app for p in definitions(level=level)}
    return sorted(((n, app_label(n)) for n in names), key=lambda a: (a[0] != "core", a[1]))


def enabled_apps() -> list[str]:
    """Apps of the current application: the core ones and every loaded plugin."""
    if not has_app_context():
        return ["core", "admin"]
    return current_app.extensions.get("modoboa_param_apps", ["core", "admin"])


def is_visible(param: Param, values: dict) -> bool:
    """True when *param*'s visibility rule holds for *values* (name -> typed value)."""
    if param.visible_if is None:
        return True
    other_name, wanted = param.visible_if
    try:
        other = definition(f"{param.app}.{other_name}")
    except KeyError:
        return True
    if not is_visible(other, values):
        return False
    current = values.get(other_name, other.default)
    return current == wanted or other.dump(current) == str(wanted)


def validate(params: list[Param], current: dict, raw: dict) -> tuple[dict, dict]:
    """Parse *raw* (name -> text) over *current* values; return (values, errors by name).

    An empty secret keeps its value. A hidden field never blocks saving (an LDAP field
    while LDAP is off): its bad value is dropped; required fields are enforced when visible.
    """
    values, errors = dict(current), {}
    for param in params:
        if param.name not in raw or (param.secret and not raw[param.name]):
            continue
        try:
            values[param.name] = param.parse(raw[param.name])
        except ParamError as exc:
            errors[param.name] = str(exc)
    for param in params:
        if not is_visible(param, values):
            errors.pop(param.name, None)
        elif param.required and values.get(param.name) in ("", [], None):
            errors.setdefault(param.name, "This field is required.")
    return values, errors


def _global_values() -> dict[str, str]:
    # Requests cache the values for their duration; long jobs opt in with cached().
    cache = g.get("_params") if has_app_context() else None
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


def is_set(key: str) -> bool:
    """True when a value for global parameter *key* is stored."""
    return key in _global_values()


def values(app: str, level: str = "A", user=None) -> dict:
    """Typed values of every parameter of *app* at *level* (per *user* for level U)."""
    if level == "U":
        return {p.name: get_user(user, p.key) for p in definitions(app, "U")}
    return {p.name: get(p.key) for p in definitions(app, "A")}


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
    if has_app_context():
        g.pop("_params", None)
    return value


@contextlib.contextmanager
def cached():
    """Read the global parameters once for a long job (a CSV import), not once per get()."""
    previous = g.pop("_params", None)
    g._params = {f"{p.app}.{p.name}": p.value for p in db.session.scalars(select(Parameter))}
    try:
        yield
    finally:
        g.pop("_params", None)
        if previous is not None:
            g._params = previous


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
