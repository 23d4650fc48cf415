"""Settings landing page for every user."""

from flask import render_template

from ...permissions import require
from . import bp


@bp.get("/")
@require()
def index():
    """Show the user's settings menu."""
    return render_template("user/index.html")
