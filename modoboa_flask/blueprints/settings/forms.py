"""Forms built from the parameter registry: one form per application tab."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ... import params

_YES_NO = [("yes", "Yes"), ("no", "No")]


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _field(param: params.Param):
    options = {"label": param.label or param.name, "description": param.help}
    if param.type == "bool":
        return SelectField(choices=_choices(_YES_NO), validate_choice=False, **options)
    if param.type == "choice":
        return SelectField(choices=_choices(param.choice_list()), validate_choice=False, **options)
    if param.type in ("text", "list"):
        return TextAreaField(**options)
    if param.type == "password":
        return PasswordField(**options)  # never rendered back
    return StringField(**options)


def param_form(definitions: list[params.Param], values: dict, prefix: str, formdata=None):
    """A form with one field per parameter, filled from typed *values* (or *formdata*)."""

    class ParametersForm(FlaskForm):
        pass

    for param in definitions:
        setattr(ParametersForm, param.name, _field(param))
    data = {p.name: "" if p.secret else p.dump(values.get(p.name, p.default)) for p in definitions}
    return ParametersForm(formdata=formdata, data=data, prefix=prefix)


def submitted(form, definitions: list[params.Param]) -> dict:
    """The raw text values a submitted form carries, by parameter name."""
    return {p.name: form[p.name].data for p in definitions if form[p.name].raw_data}


def show_errors(form, errors: dict) -> None:
    """Put the registry's validation messages on their fields."""
    for name, message in errors.items():
        form[name].errors = [*form[name].errors, message]


def layout(definitions: list[params.Param], values: dict, prefix: str) -> list[dict]:
    """Per field: the parameter, whether it shows now, and its `data-visible-if` rule."""
    rows = []
    for param in definitions:
        rule = ""
        if param.visible_if:
            other, wanted = param.visible_if
            other_param = next((p for p in definitions if p.name == other), None)
            text = other_param.dump(wanted) if other_param else str(wanted)
            rule = f"{prefix}-{other}={text}"
        rows.append(
            {
                "param": param,
                "visible": params.is_visible(param, values),
                "rule": rule,
                "is_set": bool(param.secret and values.get(param.name)),
            }
        )
    return rows
