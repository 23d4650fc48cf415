"""Self-service profile: names, language, phone, secondary e-mail, password."""

from flask import render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import EqualTo, Length, Optional

from ...exceptions import ServiceError
from ...extensions import db
from ...forms import strong_password
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

    first_name = StringField("First name", validators=[Length(max=30)])
    last_name = StringField("Last name", validators=[Length(max=30)])
    language = SelectField("Language", choices=[SelectChoice(v, label) for v, label in LANGUAGES])
    phone_number = StringField("Phone number", validators=[Optional(), Length(max=128)])
    secondary_email = StringField("Secondary e-mail", validators=[Optional(), Length(max=254)])
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
        try:
            _save(form)
            db.session.commit()
            saved = True
        except ServiceError as exc:
            db.session.rollback()
            field = getattr(form, exc.field, None) if exc.field else None
            (field.errors.append if field is not None else form.form_errors.append)(exc.message)
    return render_template("user/profile.html", form=form, saved=saved)
