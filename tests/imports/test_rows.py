"""Row-level rules of the CSV reader: booleans and the password rule."""

import pytest

from modoboa_flask.exceptions import BadRequest
from modoboa_flask.imports.rows import parse_account, password_for, to_bool


def test_booleans():
    assert [to_bool(v) for v in ("True", "yes", "Y", "1", "true ", "no", "False", "", "2")] == [
        True, True, True, True, True, False, False, False, False,
    ]  # fmt: skip


def test_password_rule(app):
    row = parse_account(["account", "u@x.org", "{SSHA512}abc", "", "", "1", "SimpleUsers"])
    assert password_for(row, crypt=False) == ("{SSHA512}abc", None)
    assert password_for(row, crypt=True) == ("{SSHA512}abc", None)  # a hash stays a hash
    row.password = "Plain123"
    assert password_for(row, crypt=True) == ("", "Plain123")
    with pytest.raises(BadRequest, match="not hashed"):
        password_for(row, crypt=False)
