"""Settings > Filters: Sieve rules and out-of-office of a mailbox, kept in ManageSieve."""

from flask import Blueprint

bp = Blueprint("filters", __name__)

from . import views  # noqa: E402,F401
