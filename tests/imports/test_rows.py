"""Row-level rules: the cached address normalization equals the identities service's."""

import re

import pytest

from modoboa_flask.exceptions import BadRequest
from modoboa_flask.imports import handlers
from modoboa_flask.imports.rows import parse_account, password_for, to_bool

ADDRESSES = [
    "User@Example.ORG", " a+b@xn--pout-bpa.com ", "u@pouét.com", "@Catch.All", "@", "no-at",
    "a@b", "a b@c.org", "x@-bad-.org", "", "@pouét.com", "a@b@c.org",
]  # fmt: skip


@pytest.mark.parametrize("value", ADDRESSES)
@pytest.mark.parametrize("catchall", [False, True])
def test_normalize_address_matches_the_service(app, value, catchall):
    from modoboa_flask.blueprints.identities.common import normalize_address

    with app.app_context():
        try:
            expected = normalize_address(value, "address", catchall=catchall)
        except BadRequest as exc:
            with pytest.raises(BadRequest, match=re.escape(exc.message)):
                handlers.normalize_address(value, catchall=catchall)
        else:
            assert handlers.normalize_address(value, catchall=catchall) == expected


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
