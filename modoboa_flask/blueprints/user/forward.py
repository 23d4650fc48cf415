"""Self-service forward: external destinations, with or without a local copy."""

from flask import render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField

from ...forms import service_call
from ...permissions import require
from ..identities import services
from ..identities.forms import lines
from . import bp


class ForwardForm(FlaskForm):
    """Where to forward the user's mail."""

    destinations = TextAreaField(
        "Forward to", description="External addresses, one per line (empty = no forward)."
    )
    keep_copy = BooleanField("Keep a local copy")


@bp.route("/forward", methods=["GET", "POST"])
@require()
def forward():
    """Show and save the user's forward (only for accounts with a mailbox)."""
    user = current_user._get_current_object()
    if user.mailbox is None:
        return render_template("errors/error.html", code=404, message="A mailbox is required"), 404
    form = ForwardForm()
    saved = False
    if form.validate_on_submit():
        with service_call(form, fallback="destinations") as call:
            services.set_forward(user, user, lines(form.destinations.data), form.keep_copy.data)
        if not call.ok:
            return render_template("user/forward.html", form=form), 200
        saved = True
    if not form.is_submitted() or saved:
        alias = services.get_forward(user)
        own = user.mailbox.full_address
        rcpts = [r.address for r in alias.recipients] if alias else []
        form.destinations.data = "\n".join(a for a in rcpts if a != own)
        form.keep_copy.data = own in rcpts
    return render_template("user/forward.html", form=form, saved=saved)
