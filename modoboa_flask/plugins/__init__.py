"""The plugin system: registration objects, discovery and loading.

A plugin is a Python package exposing a :class:`Plugin` (its ``plugin`` attribute, or the
object an entry point of the ``modoboa_flask.plugins`` group names). Only the plugins the
``PLUGINS`` config list names are loaded: an entry of that list is an entry-point name or a
dotted module path. A plugin that is not loaded is never imported, so it leaves no trace in
menus, forms, parameters or signals (its receivers connect with ``sender=app``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points

from flask import current_app

from .. import param_defs

GROUP = "modoboa_flask.plugins"


@dataclass(frozen=True)
class Plugin:
    """What a plugin tells the application about itself, and its two entry points.

    `load(app)` connects signal receivers (with ``sender=app``), registers parameters
    (``params.register(..., app=app)``) and blueprints. `load_initial_data()` creates the
    plugin's rows (idempotent) and returns lines describing what it did.
    """

    name: str
    label: str
    version: str = "0.0.0"
    description: str = ""
    url: str = ""
    load: Callable | None = None
    load_initial_data: Callable[[], list[str] | None] | None = None


def available() -> dict[str, object]:
    """Entry points of the plugin group by name (discovered, not loaded)."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def _as_plugin(obj, ref: str) -> Plugin:
    if isinstance(obj, Plugin):
        return obj
    if isinstance(getattr(obj, "plugin", None), Plugin):
        return obj.plugin
    if hasattr(obj, "init_app"):
        # A bare module with init_app(app): wrap it so the rest only knows Plugin.
        name = getattr(obj, "NAME", ref.rpartition(".")[2])
        return Plugin(
            name=name,
            label=getattr(obj, "LABEL", name.title()),
            version=getattr(obj, "VERSION", "0.0.0"),
            description=(obj.__doc__ or "").strip().splitlines()[0] if obj.__doc__ else "",
            load=obj.init_app,
            load_initial_data=getattr(obj, "load_initial_data", None),
        )
    raise RuntimeError(f"Plugin {ref!r} has no registration object")


def resolve(ref: str) -> Plugin:
    """The Plugin named *ref*: an entry point of the group, else a dotted module path."""
    found = available().get(ref)
    if found is not None:
        return _as_plugin(found.load(), ref)
    try:
        module = importlib.import_module(ref)
    except ModuleNotFoundError as exc:
        raise RuntimeError(f"Plugin {ref!r} not found (entry point or module)") from exc
    return _as_plugin(module, ref)


def loaded(app=None) -> dict[str, Plugin]:
    """The plugins loaded into *app* (default: the current app), by name."""
    return (app or current_app).extensions.get("modoboa_plugins", {})


def init_app(app):
    """Register the core parameters, then load every enabled plugin into *app*."""
    param_defs.register_defaults()
    app.extensions["modoboa_plugins"] = {}
    app.extensions["modoboa_param_apps"] = ["core", "admin"]
    for ref in app.config.get("PLUGINS", []):
        plugin = resolve(ref)
        if plugin.name in app.extensions["modoboa_plugins"]:
            continue
        app.extensions["modoboa_plugins"][plugin.name] = plugin
        app.extensions["modoboa_param_apps"].append(plugin.name)
        if plugin.load is not None:
            plugin.load(app)
