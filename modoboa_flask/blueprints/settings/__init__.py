"""The "Modoboa" admin area (super admins): parameters, logs, information; `flask parameters`."""

from flask import Blueprint

# cli_group=None: `flask parameters ...` and `flask cleanlogs` sit at the top level.
bp = Blueprint("settings", __name__, cli_group=None)

from . import cli, logs, views  # noqa: E402,F401
