"""Relay domains: domains whose mail Postfix forwards to another host.

Built on the domain hooks: a "Relay settings" tab and creation step, the relay domain
type, relay events following domain events, and a Postfix services page able to load the
services of master.cf. Enable with ``PLUGINS = ["modoboa_flask.plugins.relaydomains"]``.
"""

from ... import params, signals
from .. import Plugin
from . import handlers
from .views import bp

_RECEIVERS = [
    (signals.extra_domain_form, handlers.extra_domain_form),
    (signals.extra_domain_wizard_steps, handlers.extra_domain_wizard_steps),
    (signals.extra_domain_types, handlers.extra_domain_types),
    (signals.domain_modified, handlers.domain_modified),
    (signals.domain_deleted, handlers.domain_deleted),
    (signals.domain_alias_created, handlers.domain_alias_created),
    (signals.domain_alias_deleted, handlers.domain_alias_deleted),
    (signals.use_external_recipients, handlers.use_external_recipients),
]


def load(app):
    """Register the parameter, the signal receivers and the services page on *app*."""
    params.register(
        params.Param(
            "relaydomains",
            "master_cf_path",
            "str",
            "/etc/postfix/master.cf",
            "Path to the master.cf configuration file",
            "Where the scan action reads the Postfix services from",
        ),
        label="Relay domains",
        app=app,
    )
    for signal, receiver in _RECEIVERS:
        signal.connect(receiver, sender=app)
    app.register_blueprint(bp, url_prefix=f"/{bp.name}")


plugin = Plugin(
    name="relaydomains",
    label="Relay domains",
    version="1.0.0",
    description="Domains whose mail Postfix relays to another host",
    load=load,
)
