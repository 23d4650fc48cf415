"""DNS health of every domain: MX, DNSBL, SPF, DKIM, DMARC, MTA-STS, autoconfig, reverse DNS."""

from flask import Blueprint

# cli_group=None: the command is `flask check-mx`, as Modoboa's `modo check_mx`.
bp = Blueprint("dns", __name__, cli_group=None)

from . import cli, views  # noqa: E402,F401
