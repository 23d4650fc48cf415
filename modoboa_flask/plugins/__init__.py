"""Plugin loading: each enabled plugin is a module with ``init_app(app)``.

Plugins are named in the ``PLUGINS`` config list (dotted module paths). A disabled plugin
is never imported, so it leaves no trace in menus, forms or signals.
"""

import importlib


def init_app(app):
    """Import every configured plugin and let it register itself on *app*."""
    from .. import params

    params.register_defaults()
    app.extensions["modoboa_plugins"] = {}
    app.extensions["modoboa_param_apps"] = ["core", "admin"]
    for dotted in app.config.get("PLUGINS", []):
        module = importlib.import_module(dotted)
        module.init_app(app)
        app.extensions["modoboa_plugins"][dotted] = module
