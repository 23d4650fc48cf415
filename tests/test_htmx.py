"""The htmx helpers and the one "call a service, show its error" path."""

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField

from modoboa_flask.exceptions import BadRequest
from modoboa_flask.extensions import db
from modoboa_flask.forms import service_call
from modoboa_flask.htmx import is_htmx, render_page_or_fragment
from modoboa_flask.models import Domain


class TwoFields(FlaskForm):
    name = StringField()
    other = StringField()


class Second(FlaskForm):
    extra = StringField()


@pytest.mark.parametrize(
    "headers, expected",
    [
        ({}, False),
        ({"HX-Request": "true"}, True),
        # A history miss asks for the whole page even though htmx sends it.
        ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, False),
    ],
)
def test_is_htmx(app, headers, expected):
    with app.test_request_context("/", headers=headers):
        assert is_htmx() is expected


def test_render_page_or_fragment_varies_on_hx_request(app):
    with app.test_request_context("/", headers={"HX-Request": "true"}):
        response = render_page_or_fragment(
            "errors/error.html", "errors/_fragment.html", status=429, code=429, message="Slow"
        )
    assert response.status_code == 429 and "HX-Request" in response.vary
    assert b"<html" not in response.data and b"Slow" in response.data


def _domain_names():
    return list(db.session.scalars(select(Domain.name).where(Domain.name.like("call-%"))))


def test_service_call_commits_on_success(app):
    with app.test_request_context("/", method="POST"):
        form = TwoFields(meta={"csrf": False})
        with service_call(form) as call:
            db.session.add(Domain(name="call-ok.test"))
        assert call.ok and call.error is None
        db.session.expunge_all()
        assert _domain_names() == ["call-ok.test"]


@pytest.mark.parametrize(
    "field, fallback, where",
    [
        ("other", None, ("first", "other")),
        ("extra", None, ("second", "extra")),  # the first form holding the field
        (None, None, ("first", None)),  # no field: the form-wide errors
        ("missing", "name", ("first", "name")),  # unknown field: the fallback field
    ],
)
def test_service_call_rolls_back_and_places_the_error(app, field, fallback, where):
    with app.test_request_context("/", method="POST"):
        first, second = TwoFields(meta={"csrf": False}), Second(meta={"csrf": False})
        with service_call(first, second, fallback=fallback) as call:
            db.session.add(Domain(name="call-refused.test"))
            db.session.flush()
            raise BadRequest("Refused.", field=field)
        assert not call.ok and call.error.message == "Refused."
        assert _domain_names() == []  # no partial write
        form = first if where[0] == "first" else second
        errors = form[where[1]].errors if where[1] else form.form_errors
        assert list(errors) == ["Refused."]
