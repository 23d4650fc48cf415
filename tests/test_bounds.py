"""Values that do not fit their column get a field error or a 4xx on every database, and
nothing is written (PostgreSQL and MariaDB would refuse them with a 500; SQLite would
store them)."""

from datetime import datetime

import pytest
from sqlalchemy import func, select

from modoboa_flask import params
from modoboa_flask.bounds import INT32, TEXT_BYTES, int_range, max_length, problem
from modoboa_flask.exceptions import BadRequest
from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, Domain, Quota, Role, User
from tests import factories
from tests.api.conftest import make_alias

TOO_BIG = str(INT32[1] + 1)


def test_bounds_come_from_the_columns():
    assert int_range(Domain.quota) == INT32
    assert int_range(Quota.bytes) == (-(2**63), 2**63 - 1)
    assert max_length(User.first_name) == 30
    assert max_length(Alias.description) is None
    assert problem(User.first_name, "x" * 31) == "Ensure this value has at most 30 characters."
    assert problem(User.first_name, "x" * 30) is None
    assert problem(Domain.quota, INT32[1]) is None
    assert problem(Domain.quota, INT32[1] + 1).endswith(f"less than or equal to {INT32[1]}.")
    assert problem(Alias.description, "é" * (TEXT_BYTES // 2 + 1)).endswith("65535 bytes.")
    assert problem(Alias.expire_at, datetime(9999, 12, 31, 23, 59)) is None
    assert "between the years" in problem(Alias.expire_at, datetime(1, 1, 1))
    assert problem(Role.name, "a\x00") == "NUL characters are not allowed."


def test_flush_refuses_what_a_column_cannot_hold(app):
    with app.app_context():
        db.session.add(User(username="long@a.test", first_name="x" * 31))
        with pytest.raises(BadRequest) as caught:
            db.session.flush()
        assert caught.value.field == "first_name"
        db.session.rollback()
        domain = db.session.get(Domain, factories.make_domain("a.test"))
        domain.quota = INT32[1] + 1
        with pytest.raises(BadRequest, match="less than or equal"):
            db.session.commit()
        db.session.rollback()
        assert db.session.get(Domain, domain.id).quota == 0
        assert db.session.scalar(select(func.count(User.id)).where(User.first_name != "")) == 0


@pytest.mark.parametrize(
    "url",
    ["/domains/?q=%00", "/identities/?after=account:1:%00", "/settings/logs?user=a%00"],
)
def test_nul_in_a_query_string_is_a_400(app, login, url):
    response = login().get(url)
    assert response.status_code == 400
    assert b"NUL characters are not allowed." in response.data


def test_nul_in_a_form_is_a_400(app, login):
    client = login()
    response = client.post("/user/profile", data={"first_name": "a\x00", "language": "en"})
    assert response.status_code == 400
    with app.app_context():
        assert not db.session.scalar(select(User).where(User.first_name.contains("a")))


@pytest.mark.parametrize(
    "url",
    [
        "/domains/?page=%D9%A3",  # Arabic-Indic three: int() reads it, SQL would not
        "/domains/?page=" + "9" * 30,
        "/domains/?page=-5",
        "/identities/?page=" + "9" * 30,
        "/identities/?after=account:%D9%A3:x",
        "/identities/?before=alias:99999999999999999999:a",
        "/identities/quotas?page=" + "9" * 30 + "&above=" + "9" * 30,
        "/settings/logs?page=" + "9" * 30,
        "/settings/logs?date_to=9999-12-31&date_from=0001-01-01",
    ],
)
def test_out_of_range_paging_is_ignored(app, login, url):
    assert login().get(url).status_code == 200


def test_domain_quota_past_32_bits_is_a_field_error(app, login):
    client = login()
    with app.app_context():
        domain_id = factories.make_domain("a.test")
    data = {"general-name": "a.test", "general-type": "domain", "general-quota": TOO_BIG,
            "general-default_mailbox_quota": "0", "general-enabled": "y"}  # fmt: skip
    response = client.post(f"/domains/{domain_id}/tabs/general", data=data)
    assert response.status_code == 200
    assert f"less than or equal to {INT32[1]}".encode() in response.data
    with app.app_context():
        assert db.session.get(Domain, domain_id).quota == 0


def test_long_names_are_field_errors(app, login):
    client = login()
    data = {"first_name": "x" * 31, "last_name": "y", "language": "en", "phone_number": "1" * 129}
    response = client.post("/user/profile", data=data)
    assert response.status_code == 200
    assert response.data.count(b"invalid-feedback") == 2
    assert b"at most 30 characters" in response.data
    assert b"at most 128 characters" in response.data


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("description", "é" * 40_000, b"at most 65535 bytes"),
        ("expire_at", "0001-01-01T00:00", b"between the years 1000 and 9999"),
        ("address", "a" * 250 + "@a.test", b"at most 254 characters"),
    ],
)
def test_alias_fields_out_of_bounds(app, login, field, value, message):
    client = login()
    with app.app_context():
        domain_id = factories.make_domain("a.test")
        alias_id = make_alias(domain_id, "sales@a.test", ["x@b.test"])
    data = {"address": "sales@a.test", "recipients": "x@b.test", "enabled": "y", field: value}
    response = client.post(f"/identities/aliases/{alias_id}", data=data)
    assert response.status_code == 200
    assert message in response.data
    with app.app_context():
        alias = db.session.get(Alias, alias_id)
        assert (alias.description, alias.expire_at) == ("", None)


def test_alias_expiring_on_the_last_day_of_9999(app, login):
    client = login()
    with app.app_context():
        domain_id = factories.make_domain("a.test")
        alias_id = make_alias(domain_id, "sales@a.test", ["x@b.test"])
    data = {"address": "sales@a.test", "recipients": "x@b.test", "expire_at": "9999-12-31T23:59"}
    assert client.post(f"/identities/aliases/{alias_id}", data=data).status_code == 200
    with app.app_context():
        assert db.session.get(Alias, alias_id).expire_at == datetime(9999, 12, 31, 23, 59)


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("admin.default_domain_quota", TOO_BIG, f"Must be at most {INT32[1]}."),
        ("core.log_maximum_age", "1000000", "Must be at most 36600."),
    ],
)
def test_integer_parameters_fit_32_bits(app, key, raw, message):
    with app.app_context(), pytest.raises(params.ParamError, match=message):
        params.set(key, raw)


@pytest.mark.parametrize(
    "url",
    [
        "/domains/99999999999999999999",
        "/domains/2147483648/edit",
        "/domains/%D9%A3",
        "/identities/accounts/2147483648",
        "/identities/aliases/99999999999999999999",
    ],
)
def test_ids_no_column_holds_are_404(app, login, url):
    assert login().get(url).status_code == 404


@pytest.mark.parametrize("raw", ["9" * 20, "2147483648", "٣", "0"])
def test_ids_posted_that_no_column_holds_are_404(app, login, raw):
    client = login()
    assert client.post("/identities/aliases/delete", data={"ids": raw}).status_code == 404
    assert client.post(f"/user/api/tokens/{raw}/revoke").status_code == 404


def test_cli_quota_past_32_bits(app, runner):
    result = runner.invoke(args=["domains", "create", "x.test", "--quota", TOO_BIG])
    assert result.exit_code == 1
    assert f"less than or equal to {INT32[1]}" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Domain.id))) == 0
