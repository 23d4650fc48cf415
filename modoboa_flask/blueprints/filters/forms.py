"""Forms of the filter pages: a rule (conditions and actions), raw Sieve, out of office."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from ...sieve import rules
from ...sieve.rules import Action, Condition, Rule, Vacation


def _choices(*pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


BLANK_ROWS = 2  # empty rows offered below the existing conditions and actions


class ConditionForm(Form):
    """One condition row (left empty = ignored)."""

    field = SelectField("Field", choices=_choices(*rules.FIELDS.items()))
    header = StringField("Header name")
    op = SelectField(
        "Comparison", choices=_choices(*rules.TEXT_OPS.items(), *rules.SIZE_OPS.items())
    )
    value = StringField("Value")


class ActionForm(Form):
    """One action row (empty type = ignored)."""

    type = SelectField("Action", choices=_choices(("", "—"), *rules.ACTIONS.items()))
    arg = StringField("Folder, address or message")


class RuleForm(FlaskForm):
    """A filter rule."""

    name = StringField("Name")
    match = SelectField(
        "Apply when",
        choices=_choices(("all", "all conditions match"), ("any", "any condition matches")),
    )
    enabled = BooleanField("Enabled", default=True)
    conditions = FieldList(FormField(ConditionForm), min_entries=1)
    actions = FieldList(FormField(ActionForm), min_entries=1)

    def to_rule(self) -> Rule:
        """The rule the rows describe (blank rows dropped; validation is the service's)."""
        conditions = [
            Condition(
                field=c["field"], op=c["op"], value=c["value"] or "", header=c["header"] or ""
            )
            for c in self.conditions.data
            if (c["value"] or "").strip()
        ]
        actions = [
            Action(type=a["type"], arg=a["arg"] or "") for a in self.actions.data if a["type"]
        ]
        return Rule(
            name=self.name.data or "", conditions=conditions, actions=actions,
            match=self.match.data, enabled=self.enabled.data,
        )  # fmt: skip


def rule_form(rule: Rule | None = None) -> RuleForm:
    """A RuleForm filled from *rule* (on GET) with blank rows to add more."""
    if rule is None:
        form = RuleForm()
    else:
        form = RuleForm(
            data={
                "name": rule.name, "match": rule.match, "enabled": rule.enabled,
                "conditions": [vars(c) for c in rule.conditions],
                "actions": [vars(a) for a in rule.actions],
            }
        )  # fmt: skip
    if not form.is_submitted():
        for _ in range(BLANK_ROWS):
            form.conditions.append_entry()
            form.actions.append_entry()
    return form


class RawForm(FlaskForm):
    """The whole script, for experts."""

    script = TextAreaField("Sieve script")


class VacationForm(FlaskForm):
    """Out-of-office settings."""

    enabled = BooleanField("Send an out-of-office reply")
    start = DateField("From", validators=[Optional()], description="Empty: from now.")
    end = DateField("Until", validators=[Optional()], description="Empty: until turned off.")
    subject = StringField("Subject")
    message = TextAreaField("Message")
    addresses = SelectMultipleField(
        "Answer mail sent to",
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    days = IntegerField(
        "Days between two replies to one sender",
        default=7,
        validators=[NumberRange(1, rules.MAX_DAYS)],
    )

    def to_vacation(self) -> Vacation:
        """The Vacation the form describes."""
        return Vacation(
            enabled=self.enabled.data, subject=self.subject.data or "",
            message=self.message.data or "", addresses=list(self.addresses.data or []),
            days=self.days.data or 7,
            start=self.start.data.isoformat() if self.start.data else None,
            end=self.end.data.isoformat() if self.end.data else None,
        )  # fmt: skip
