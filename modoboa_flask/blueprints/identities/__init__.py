"""Identities: accounts, mailboxes, aliases, forwards and quotas."""

from flask import Blueprint

bp = Blueprint("identities", __name__)

from . import account_views, alias_views, views  # noqa: E402,F401
