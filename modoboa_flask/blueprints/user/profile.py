"""Self-service profile: names, language, phone, secondary e-mail, password."""

from flask import render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, Optional

from ... import throttle
from ...bounds import Fits
from ...exceptions import BadRequest, ServiceError
from ...forms import service_call, strong_password
from ...models import User
from ...permissions import require
from ..identities import services
from . import bp

LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("fr", "Français"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pt", "Português"),
    ("ru", "Русский"),
]


class ProfileForm(FlaskForm):
    """Profile fields and an optional password change."""

    first_name = StringField("First name", validators=[Fits(User.first_name)])
    last_name = StringField("Last name", validators=[Fits(User.last_name)])
    language = SelectField("Language", choices=[SelectChoice(v, label) for v, label in LANGUAGES])
    phone_number = StringField("Phone number", validators=[Optional(), Fits(User.phone_number)])
    secondary_email = StringField(
        "Secondary e-mail", validators=[Optional(), Fits(User.secondary_email)]
    )
    oldpassword = PasswordField("Old password")
    newpassword = PasswordField("New password", validators=[strong_password])
    confirmation = PasswordField(
        "Confirmation", validators=[EqualTo("newpassword", message="Passwords mismatch")]
    )


# The password service's field names -> this form's.
_PASSWORD_FIELDS = {"old_password": "oldpassword", "password": "newpassword"}


def _change_password(form) -> None:
    user = current_user._get_current_object()
    try:
        services.change_password(user, user, form.newpassword.data,
                                 old_password=form.oldpassword.data or "",
                                 keep_session=user.session_key)  # fmt: skip
    except throttle.Throttled as exc:
        raise BadRequest(throttle.THROTTLED, field="oldpassword", status=429) from exc
    except ServiceError as exc:
        field = _PASSWORD_FIELDS.get(exc.field, exc.field)
        raise type(exc)(exc.message, field=field, status=exc.status) from None


def _save(form) -> None:
    # The password first: its check commits a failed attempt, which must not save the profile.
    if "newpassword" in form and form.newpassword.data:
        _change_password(form)
    fields = {name: form[name].data for name in services.PROFILE_FIELDS}
    services.update_profile(current_user, **fields)


@bp.route("/profile", methods=["GET", "POST"])
@require()
def profile():
    """Show and save the user's profile."""
    user = current_user._get_current_object()
    form = ProfileForm(obj=user if request.method == "GET" else None)
    if not services.password_change_allowed(user):
        for name in ("oldpassword", "newpassword", "confirmation"):
            delattr(form, name)
    saved = False
    if form.validate_on_submit():
        with service_call(form) as call:
            _save(form)
        saved = call.ok
    return render_template("user/profile.html", form=form, saved=saved)
