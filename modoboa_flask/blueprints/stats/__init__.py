"""Statistics: traffic charts (dashboard, domain, account), the message index, the parser.

`flask parse-maillog` is app-wide (cli_group=None), like the other cron commands.
"""

from flask import Blueprint

bp = Blueprint("stats", __name__, cli_group=None)

from . import cli, views  # noqa: E402,F401
