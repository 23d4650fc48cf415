"""Self-service settings of the logged-in user."""

from flask import Blueprint

bp = Blueprint("user", __name__)

from . import api_tokens, forward, preferences, profile, views  # noqa: E402,F401
