"""What a column can hold, as one rule for forms, API fields, CSV rows and query strings.

SQLite stores any integer up to 64 bits and any string length; PostgreSQL and MariaDB
refuse what does not fit their column (a 500 if nobody checked). The bounds here are the
strictest of the three databases, read from the model column itself, so a form field, an
API schema and the flush-time safety net cannot disagree with the schema.

Quotas are MB in 32-bit INT columns: the largest, 2,147,483,647 MB (about 2 PB), is still
exact as bytes in 64 bits (Dovecot's quota rule, `Quota.bytes`, the SQL sums of the lists,
which cast to BIGINT first).
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, request
from sqlalchemy import BigInteger, DateTime, Integer, SmallInteger, String, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from wtforms import ValidationError

from .exceptions import BadRequest

INT32 = (-(2**31), 2**31 - 1)  # MariaDB INT, PostgreSQL integer
RANGES = {SmallInteger: (-(2**15), 2**15 - 1), BigInteger: (-(2**63), 2**63 - 1)}
# MariaDB TEXT holds 65,535 bytes (PostgreSQL and SQLite: about 1 GB).
TEXT_BYTES = 65535
# MariaDB DATETIME holds years 1000 to 9999; the other two hold more.
YEARS = (1000, 9999)
NUL = "NUL characters are not allowed."


def _column(column):
    """The Column behind a model attribute (`User.first_name`) or a Column."""
    return getattr(column, "expression", column)


def int_range(column) -> tuple[int, int]:
    """(min, max) of an integer column on every supported database."""
    col_type = _column(column).type
    for kind, bounds in RANGES.items():
        if isinstance(col_type, kind):
            return bounds
    return INT32


def max_length(column) -> int | None:
    """The length of a String column (None: unbounded, e.g. Text)."""
    col_type = _column(column).type
    return getattr(col_type, "length", None) if isinstance(col_type, String) else None


def problem(column, value) -> str | None:
    """Why *value* does not fit *column* (None when it does)."""
    col_type = _column(column).type
    if isinstance(value, str):
        if "\x00" in value:
            return NUL
        limit = max_length(column)
        if limit is not None and len(value) > limit:
            return f"Ensure this value has at most {limit} characters."
        if limit is None and isinstance(col_type, String) and len(value) * 4 > TEXT_BYTES:
            if len(value.encode()) > TEXT_BYTES:
                return f"Ensure this value has at most {TEXT_BYTES} bytes."
    elif isinstance(value, int) and not isinstance(value, bool) and isinstance(col_type, Integer):
        low, high = int_range(column)
        if value > high:
            return f"Ensure this value is less than or equal to {high}."
        if value < low:
            return f"Ensure this value is greater than or equal to {low}."
    elif isinstance(value, datetime) and isinstance(col_type, DateTime):
        if not YEARS[0] <= value.year <= YEARS[1]:
            return f"Enter a date between the years {YEARS[0]} and {YEARS[1]}."
    return None


class Fits:
    """WTForms validator: the field's value fits *column* (length, range, no NUL)."""

    def __init__(self, column, minimum: int | None = None):
        self.column, self.minimum = column, minimum

    def __call__(self, form, field):
        value = field.data
        if value is None or value == "":
            return
        if self.minimum is not None and isinstance(value, int) and value < self.minimum:
            raise ValidationError(f"Number must be at least {self.minimum}.")  # WTForms' words
        message = problem(self.column, value)
        if message:
            raise ValidationError(message)


def query_int(name: str, default: int, minimum: int = 1, maximum: int = INT32[1]) -> int:
    """An integer query parameter: *default* unless ASCII digits within [minimum, maximum].

    `int()` reads '٣' and '１２' too, which databases do not; list pages ignore what is not
    a plain number rather than answering an error for a hand-edited URL.
    """
    raw = request.args.get(name, "").strip()
    text = raw[1:] if raw.startswith("-") else raw
    if not (text.isascii() and text.isdigit()) or len(text) > 20:
        return default
    value = int(raw)
    return value if minimum <= value <= maximum else default


def to_id(raw) -> int | None:
    """The primary key in *raw* (URL, form or CSV text), or None when it cannot be one:
    ids are positive 32-bit integers written in ASCII digits."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if 0 < raw <= INT32[1] else None
    text = str(raw or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= INT32[1] else None


def _check_flush(session, flush_context, instances) -> None:
    """Refuse a value no database column of the three could store, naming its field."""
    for obj in (*session.new, *session.dirty):
        state = sa_inspect(obj)
        for prop in state.mapper.column_attrs:
            value = state.dict.get(prop.key)
            if value is None or (obj not in session.new and not _changed(state, prop.key)):
                continue
            message = problem(prop.columns[0], value)
            if message:
                raise BadRequest(message, field=prop.key)


def _changed(state, key) -> bool:
    return state.attrs[key].history.has_changes()


def _check_request() -> None:
    """404 for an `<int:...>` URL part no integer column holds (werkzeug takes '٣' and 40-digit
    numbers); 400 for NUL bytes in a URL, query string or form: no column stores them."""
    view_args = request.view_args or {}
    for value in view_args.values():
        # Ids and positions (a filter rule's index may be 0) both fit a 32-bit column.
        if isinstance(value, int) and not 0 <= value <= INT32[1]:
            abort(404)
    values = [*request.args.items(multi=True), *view_args.items()]
    # API bodies are JSON (its String fields refuse control characters); its own hooks
    # read the raw body, so parsing it as a form here would consume it.
    form = request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
    if form and request.method != "GET" and not request.path.startswith("/api/"):
        values += request.form.items(multi=True)
        values += [(key, f.filename or "") for key, f in request.files.items(multi=True)]
    for key, value in values:
        if "\x00" in str(key) or "\x00" in str(value):
            abort(400, description=NUL)


def init_app(app) -> None:
    """Check request inputs before the views and row values before every flush."""
    app.before_request(_check_request)
    if not event.contains(Session, "before_flush", _check_flush):
        event.listen(Session, "before_flush", _check_flush)
