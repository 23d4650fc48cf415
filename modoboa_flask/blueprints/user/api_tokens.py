"""Settings > API: every user creates (key shown once), lists and revokes its own tokens."""

from flask import render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import NumberRange, Optional

from ...bounds import Fits
from ...exceptions import ServiceError
from ...extensions import db
from ...forms import service_call
from ...htmx import render_page_or_fragment
from ...models import ApiToken
from ...permissions import require
from ..api.tokens import MAX_EXPIRY_DAYS, create_token, revoke_token, tokens_of
from . import bp


class TokenForm(FlaskForm):
    """A new token's options."""

    name = StringField("Name", validators=[Optional(), Fits(ApiToken.name)])
    read_only = BooleanField("Read-only (GET requests only)")
    expires_in = IntegerField(
        "Expires in (days)",
        validators=[Optional(), NumberRange(min=1, max=MAX_EXPIRY_DAYS)],
        description="Leave empty for a token that does not expire.",
    )


def _page(form, key=None, status=200):
    context = {"form": form, "tokens": tokens_of(current_user), "new_key": key}
    return render_page_or_fragment("user/api.html", "user/_api_tokens.html", **context), status


@bp.get("/api/")
@require()
def api():
    """List the caller's tokens, with the form creating one."""
    return _page(TokenForm())


@bp.post("/api/tokens")
@require()
def api_token_create():
    """Create a token; its key is shown in the answer and never again."""
    form = TokenForm()
    if not form.validate():
        return _page(form)
    with service_call(form, fallback="name") as call:
        _token, key = create_token(
            current_user,
            current_user,
            name=form.name.data or "",
            read_only=form.read_only.data,
            expires_in_days=form.expires_in.data,
        )
    if not call.ok:
        return _page(form)
    return _page(TokenForm(formdata=None), key)


@bp.post("/api/tokens/<token_id>/revoke")
@require()
def api_token_revoke(token_id):
    """Revoke one of the caller's tokens (404 for anyone else's)."""
    try:
        revoke_token(current_user, token_id)
    except ServiceError:
        db.session.rollback()
        return render_template("errors/_fragment.html", code=404, message="Token not found."), 404
    db.session.commit()
    return _page(TokenForm(formdata=None))
