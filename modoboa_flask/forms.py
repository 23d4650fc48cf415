"""Shared form pieces: the empty CSRF-only form and the tab descriptor plugins return."""

from collections.abc import Callable
from dataclasses import dataclass

from flask_wtf import FlaskForm
from wtforms import ValidationError

from .passwords import password_problems


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST."""


@dataclass(frozen=True)
class FormTab:
    """A tab of a tabbed edit form (core tabs and plugin tabs alike).

    `load(user, obj)` returns the form's initial data (the FillDomainInstances /
    FillAccountInstances role); `save(user, obj, form)` applies a valid form through the
    services (raising ServiceError to refuse). The caller commits.
    """

    id: str
    title: str
    form_class: type
    template: str
    order: int = 100
    load: Callable | None = None
    save: Callable | None = None


def strong_password(form, field):
    """WTForms validator applying the shared password policy (empty = unchanged)."""
    if field.data:
        problems = password_problems(field.data)
        if problems:
            raise ValidationError(" ".join(problems))
