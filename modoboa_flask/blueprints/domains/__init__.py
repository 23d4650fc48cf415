"""Domains and domain aliases: list, create, edit in tabs, detail, delete."""

from flask import Blueprint

bp = Blueprint("domains", __name__)

from . import alias_views, cli, edit_views, views, wizard_views  # noqa: E402,F401
