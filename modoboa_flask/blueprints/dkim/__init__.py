"""DKIM keys per domain: generate, publish, rotate; signer tables for OpenDKIM and rspamd."""

from flask import Blueprint

# cli_group=None: `flask generate-dkim-maps`, beside `flask generate-postfix-maps`.
bp = Blueprint("dkim", __name__, cli_group=None)

from . import cli, views  # noqa: E402,F401
