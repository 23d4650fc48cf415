"""Forms of the domain wizard, the edit tabs, the domain aliases and the delete dialog."""

from __future__ import annotations

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, InputRequired, Optional

from ...bounds import Fits
from ...extensions import db
from ...models import DOMAINADMINS, RESELLERS, Domain, DomainAlias, User
from ...permissions import visible_accounts
from .common import domain_types
from .queries import administrators

QUOTA_HELP = "In MB; 0 means unlimited."


def split_names(text: str | None) -> list[str]:
    """Names typed one per line (or separated by commas or spaces)."""
    return [part for part in (text or "").replace(",", " ").split() if part]


class _TypeChoices:
    def setup(self, user, obj):
        """Offer the core domain types and those plugins add."""
        self.type.choices = domain_types()


class GeneralStepForm(_TypeChoices, FlaskForm):
    """Wizard step 1: what the domain is."""

    name = StringField("Name", validators=[InputRequired(), Fits(Domain.name)])
    type = SelectField("Type", default="domain")
    quota = IntegerField(
        "Quota",
        validators=[Optional(), Fits(Domain.quota, minimum=0)],
        description="Shared by all mailboxes, in MB; 0 means unlimited; empty = the default.",
    )
    default_mailbox_quota = IntegerField(
        "Default mailbox quota",
        validators=[Optional(), Fits(Domain.default_mailbox_quota, minimum=0)],
        description="Given to new mailboxes, in MB; empty = the default.",
    )
    aliases = TextAreaField("Domain aliases", description="One name per line.")
    enabled = BooleanField("Enabled", default=True)


class OptionsStepForm(FlaskForm):
    """Wizard last step: an administrator for the new domain."""

    create_admin = BooleanField("Create a domain administrator", default=False)
    admin_local_part = StringField(
        "Administrator name", default="admin", description="Local part of its address."
    )
    admin_password = PasswordField(
        "Administrator password",
        description="Leave empty to set it later (the account can't log in until then).",
    )
    create_postmaster = BooleanField("Create a postmaster@ alias to it", default=True)


class GeneralTabForm(_TypeChoices, FlaskForm):
    """Edit tab: name, type, quotas, state."""

    name = StringField("Name", validators=[InputRequired(), Fits(Domain.name)])
    type = SelectField("Type")
    quota = IntegerField("Quota", validators=[InputRequired(), Fits(Domain.quota, minimum=0)])
    default_mailbox_quota = IntegerField(
        "Default mailbox quota",
        validators=[InputRequired(), Fits(Domain.default_mailbox_quota, minimum=0)],
        description="Mailboxes following the domain default are updated too. " + QUOTA_HELP,
    )
    enabled = BooleanField("Enabled")


class AdminsTabForm(FlaskForm):
    """Edit tab (super admins): who administers the domain."""

    remove = SelectMultipleField("Remove", choices=[])
    add = SelectField("Add an administrator", choices=[], default="")

    def setup(self, user, domain):
        """Current administrators may be removed; other admins and resellers added."""
        current = administrators(domain)
        self.current = current
        self.remove.choices = [(str(a.id), a.username) for a in current]
        candidates = db.session.scalars(
            visible_accounts(user)
            .where(User.role.in_((DOMAINADMINS, RESELLERS)))
            .where(User.id.not_in([a.id for a in current] or [0]))
            .order_by(User.username)
        )
        self.add.choices = [("", "---")] + [(str(a.id), a.username) for a in candidates]


class AliasEntryForm(Form):
    """One existing domain alias in the aliases tab."""

    id = HiddenField()
    name = StringField("Name", validators=[InputRequired(), Fits(DomainAlias.name)])
    enabled = BooleanField("Enabled")
    delete = BooleanField("Remove")


class AliasesTabForm(FlaskForm):
    """Edit tab: rename, enable/disable, remove and add domain aliases."""

    entries = FieldList(FormField(AliasEntryForm))
    new = TextAreaField("Add domain aliases", description="One name per line.")


class DeleteForm(FlaskForm):
    """Confirmation of a domain deletion."""

    # Posted by the confirmation page only: a bare POST deletes nothing.
    confirm = HiddenField(default="yes", validators=[InputRequired(), AnyOf(["yes"])])
    keep_mailboxes = BooleanField("Keep mailbox directories on disk", default=True)


def account_by_id(raw) -> User | None:
    """The account a select field names (None for an empty choice)."""
    if not raw:
        return None
    return db.session.scalar(select(User).where(User.id == int(raw)))
