"""The Relay settings tab (and creation step) of relay domains."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from ...bounds import Fits
from ...models import RelayDomain
from . import services


class RelaySettingsForm(FlaskForm):
    """Where mail for a relay domain goes, and whether recipients are verified first."""

    # The domain wizard shows this step only for these domain types.
    domain_types = (services.RELAY_TYPE,)

    target_host = StringField(
        "Target host", validators=[DataRequired(), Fits(RelayDomain.target_host)]
    )
    target_port = IntegerField(
        "Target port", default=25, validators=[InputRequired(), NumberRange(1, 65535)]
    )
    service = SelectField("Service", default="relay")
    verify_recipients = BooleanField(
        "Verify recipients",
        description="Ask the target host whether a recipient exists before accepting mail",
    )

    def setup(self, user, obj):
        """Offer the services known to the database."""
        self.service.choices = [(name, name) for name in services.service_names()]
