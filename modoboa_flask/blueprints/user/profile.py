"""Self-service profile: names, language, phone, secondary e-mail, password."""

from flask import render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, Optional

from ...bounds import Fits
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


def _save(form) -> None:
    # The password first: its check commits a failed attempt, which must not save the profile.
    if "newpassword" in form and form.newpassword.data:
        services.change_own_password(current_user, form.oldpassword.data, form.newpassword.data)
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
