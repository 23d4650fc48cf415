"""Shared form pieces: the empty CSRF-only form, the tab descriptor plugins return, and the
one way a view calls a service and shows its refusal on the form."""

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from flask_wtf import FlaskForm
from wtforms import ValidationError

from .exceptions import ServiceError
from .extensions import db
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


def show_error(exc: ServiceError, *forms, fallback: str | None = None) -> None:
    """Put *exc*'s message on the field it names, in the first of *forms* holding it.

    A message naming no field (or a field none of the forms has) goes on the *fallback*
    field of the first form when given, else on that form's form-wide errors.
    """
    for form in forms:
        field = getattr(form, exc.field, None) if exc.field else None
        if field is not None:
            break
    else:
        form = forms[0]
        field = getattr(form, fallback, None) if fallback else None
    if field is not None:
        field.errors = [*field.errors, exc.message]  # a tuple on fields that never validated
    else:
        form.form_errors.append(exc.message)


@dataclass
class ServiceCall:
    """What :func:`service_call` did: ``ok`` once committed, else the refusal in ``error``."""

    ok: bool = False
    error: ServiceError | None = None


@contextlib.contextmanager
def service_call(*forms, fallback: str | None = None):
    """Run the block's service calls as one transaction; show a refusal on its form field.

    On success the block's writes are committed (``call.ok``). A ServiceError (raised by
    the block or by the flush of the commit) rolls everything back, so no partial write
    survives, and is shown with :func:`show_error`. Decide what to answer after the block.
    """
    call = ServiceCall()
    try:
        yield call
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        call.error = exc
        show_error(exc, *forms, fallback=fallback)
    else:
        call.ok = True
