"""Forms of the identities pages: account tabs (General, Mail, Permissions) and aliases."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Optional

from ... import signals
from ...bounds import Fits
from ...forms import strong_password
from ...models import Alias, Mailbox, User
from ...permissions import ROLE_LABELS
from .services import allowed_roles

ONE_PER_LINE = "One address per line."


def lines(text: str | None) -> list[str]:
    """Non-empty lines (or comma-separated values) of a textarea."""
    return [v.strip() for v in (text or "").replace(",", "\n").splitlines() if v.strip()]


class AccountGeneralForm(FlaskForm):
    """General tab: identity, role, password, status."""

    role = SelectField("Role", choices=[])
    username = StringField(
        "Username",
        validators=[DataRequired(), Fits(User.username)],
        description="Simple users log in with their e-mail address.",
    )
    first_name = StringField("First name", validators=[Fits(User.first_name)])
    last_name = StringField("Last name", validators=[Fits(User.last_name)])
    password = PasswordField("Password", validators=[strong_password])
    password2 = PasswordField(
        "Confirmation", validators=[EqualTo("password", message="Passwords mismatch")]
    )
    is_active = BooleanField("Enabled", default=True)
    master_user = BooleanField(
        "Allow mailboxes access", description="Master user (super administrators only)."
    )

    def setup(self, user, account, creating: bool = False):
        """Offer only the roles *user* may give; hide what they may not touch."""
        roles = allowed_roles(user, account)
        self.role.choices = [SelectChoice(r, ROLE_LABELS.get(r, r)) for r in roles]
        if len(roles) <= 1:
            del self.role  # forced: nothing to choose (domain admins, self edits)
        if not user.is_superuser:
            del self.master_user
        if creating:
            self.password.validators = [InputRequired(), strong_password]


def mail_form_class(mailbox):
    """The Mail tab form, with the fields plugins add through ExtraFormFields."""

    class AccountMailForm(FlaskForm):
        """Mail tab: address, quota, aliases and sender addresses."""

        email = StringField("E-mail", validators=[Fits(User.email)])
        use_domain_quota = BooleanField("Use the domain's default quota", default=True)
        quota = IntegerField(
            "Quota (MB)",
            validators=[Optional(), Fits(Mailbox.quota, minimum=0)],
            description="0 means unlimited.",
        )
        aliases = TextAreaField("Aliases", description=ONE_PER_LINE)
        sender_addresses = TextAreaField("Extra sender addresses", description=ONE_PER_LINE)

        def setup(self, user, account):
            """Nothing depends on the user here (kept for tabs.bind)."""

        def extra_values(self) -> dict:
            """Values of the fields plugins added."""
            return {name: getattr(self, name).data for name in extra_names}

    extra = signals.collect(signals.extra_form_fields, form_name="mailform", instance=mailbox)
    extra_names = [name for name, _field in extra]
    for name, field in extra:
        setattr(AccountMailForm, name, field)
    return AccountMailForm


class AccountPermissionsForm(FlaskForm):
    """Permissions tab: the domains an administrator administers."""

    domains = TextAreaField("Administered domains", description="One domain per line.")


class AliasForm(FlaskForm):
    """An alias, catch-all (`@domain`), forward or distribution list."""

    random_address = BooleanField("Random address")
    domain = StringField("Domain", description="Required with a random address.")
    address = StringField(
        "Address", validators=[Fits(Alias.address)], description="Or @domain for a catch-all."
    )
    recipients = TextAreaField(
        "Recipients", validators=[DataRequired("No recipient defined")], description=ONE_PER_LINE
    )
    enabled = BooleanField("Enabled", default=True)
    expire_at = DateTimeLocalField("Expires at", validators=[Optional(), Fits(Alias.expire_at)])
    description = TextAreaField("Description", validators=[Fits(Alias.description)])

    def setup(self, creating: bool):
        """Random addresses only exist at creation."""
        if not creating:
            del self.random_address
            del self.domain
        elif not self.random_address.data:
            self.address.validators = [DataRequired()]


class DeleteAccountForm(FlaskForm):
    """Confirm an account deletion."""

    keepdir = BooleanField("Keep the mailbox directory on disk", default=True)
