"""Import and export pages, and the `flask import` / `flask export` commands."""

from flask import Blueprint

# cli_group=None: the commands are `flask import` and `flask export`, as in Modoboa (`modo`).
bp = Blueprint("imports", __name__, cli_group=None)

from . import cli, views  # noqa: E402,F401
