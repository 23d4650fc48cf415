"""Bad input of every kind gets a 4xx with a clear message, never a 500 or a partial write."""

import io
import json

import pytest
from sqlalchemy import func, select

from modoboa_flask.extensions import db
from modoboa_flask.models import Alias, Domain, DomainAlias, User

COLLECTIONS = ("domains", "domainaliases", "accounts", "aliases")
BODIES = {
    "domains": {"name": "new.test", "quota": 10},
    "domainaliases": {"name": "alias.test", "target": 1},
    "accounts": {"username": "x@a.test", "password": "Toto1234", "role": "SimpleUsers"},
    "aliases": {"address": "x@a.test", "recipients": ["user@a.test"]},
}


def _counts(app):
    with app.app_context():
        return [
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Domain, DomainAlias, User, Alias)
        ]


@pytest.fixture
def su(world):
    return world["clients"]["super"]


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_malformed_json(app, su, collection):
    before = _counts(app)
    for raw in ('{"name": ', "[1, 2", "{'single': 1}", "NaN", '{"a": Infinity}', "\xff"):
        response = su.post(
            f"{collection}/",
            data=raw.encode("latin-1"),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400, raw
        assert response.json["detail"].startswith("JSON parse error - ")
    assert _counts(app) == before


def test_deeply_nested_json(app, su):
    body = "[" * 100_000 + "]" * 100_000
    response = su.post("domains/", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_not_an_object(app, su, collection):
    for body in ([], [BODIES[collection]], "text", 5, None, True):
        response = su.post(f"{collection}/", json=body)
        assert response.status_code == 400, body
        assert (
            "non_field_errors" in response.json
            or set(response.json) >= {"detail"}
            or (body is None and response.json)
        )


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_unsupported_content_type(app, su, collection):
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = su.post(
            f"{collection}/", data="name=x&quota=1", headers={"Content-Type": content_type}
        )
        assert response.status_code == 415, content_type
        assert "Unsupported media type" in response.json["detail"]


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_huge_body(app, su, collection):
    body = json.dumps({"name": "x" * (2 * 1024 * 1024)})
    response = su.post(f"{collection}/", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "too large" in response.json["detail"]


def test_huge_body_without_content_length(app, su):
    # A chunked upload has no Content-Length: the limit applies while reading.
    body = json.dumps({"name": "x" * (2 * 1024 * 1024)}).encode()
    response = su.post(
        "domains/",
        input_stream=io.BytesIO(body),
        headers={"Content-Type": "application/json"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413


@pytest.mark.parametrize("collection", COLLECTIONS)
@pytest.mark.parametrize("pk", ["abc", "1.5", "-1", "0x10", "99999999999999999999", "١", "%20"])
def test_non_numeric_or_huge_ids(app, su, collection, pk):
    for method in ("GET", "PUT", "DELETE"):
        response = su.request(method, f"{collection}/{pk}/", json=BODIES[collection])
        assert response.status_code == 404, (method, pk)
        assert response.json == {"detail": "Not found."}


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_patch_and_other_methods(app, su, collection):
    for url in (f"{collection}/", f"{collection}/1/"):
        response = su.request("PATCH", url, json={})
        assert response.status_code == 405
        assert response.json == {"detail": 'Method "PATCH" not allowed.'}
    assert su.request("OPTIONS", f"{collection}/").status_code == 405
    assert su.request("PUT", f"{collection}/", json={}).status_code == 405
    assert su.request("POST", f"{collection}/1/", json={}).status_code == 405


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_trailing_slash_optional(app, su, collection):
    assert su.get(f"{collection}/").status_code == 200
    slashless = su.get(f"{collection}")
    assert slashless.status_code == 200 and slashless.json == su.get(f"{collection}/").json


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_unknown_fields_are_refused(app, su, collection):
    before = _counts(app)
    body = dict(BODIES[collection], surprise=1, id=3)
    response = su.post(f"{collection}/", json=body)
    assert response.status_code == 400
    assert response.json["surprise"] == ["Unknown field."] and response.json["id"]
    assert _counts(app) == before


@pytest.mark.parametrize(
    "collection, field, value, message",
    [
        ("domains", "quota", "10", "A valid integer is required."),
        ("domains", "quota", 1.5, "A valid integer is required."),
        ("domains", "quota", True, "A valid integer is required."),
        ("domains", "quota", -1, "Ensure this value is greater than or equal to 0."),
        ("domains", "quota", 2**40, "Ensure this value is less than or equal to 2147483647."),
        ("domains", "enabled", "yes", '"yes" is not a valid boolean.'),
        ("domains", "name", None, "This field may not be null."),
        ("domains", "name", "", "This field may not be blank."),
        ("domains", "name", ["a"], "Not a valid string."),
        ("domains", "name", "x" * 101, "Ensure this field has no more than 100 characters."),
        ("domains", "type", "other", '"other" is not a valid choice.'),
        ("domainaliases", "target", "1", "A valid integer is required."),
        ("accounts", "role", "Gods", '"Gods" is not a valid choice.'),
        ("accounts", "language", "xx", '"xx" is not a valid choice.'),
        ("accounts", "secondary_email", "not-an-address", "Enter a valid email address."),
        ("accounts", "domains", "a.test", 'Expected a list of items but got type "str".'),
        ("aliases", "recipients", [], "This list may not be empty."),
        ("aliases", "recipients", "user@a.test", 'Expected a list of items but got type "str".'),
        ("aliases", "recipients", ["nope"], "Enter a valid email address."),
        ("aliases", "address", "a@b@c", "Enter a valid email address."),
    ],
)
def test_wrong_types_and_values(app, su, collection, field, value, message):
    before = _counts(app)
    response = su.post(f"{collection}/", json=dict(BODIES[collection], **{field: value}))
    assert response.status_code == 400
    assert response.json[field] == [message]
    assert _counts(app) == before


def test_nested_errors_nest(app, su):
    body = dict(BODIES["accounts"], mailbox={"full_address": "bad", "quota": -1})
    response = su.post("accounts/", json=body)
    assert response.status_code == 400
    assert set(response.json["mailbox"]) == {"full_address", "quota"}
    missing = su.post(
        "accounts/", json=dict(BODIES["accounts"], mailbox={"full_address": "x@a.test"})
    )
    assert missing.json == {"mailbox": {"quota": ["This field is required."]}}


def test_control_characters_refused(app, su):
    response = su.post("domains/", json={"name": "a\x00b.test", "quota": 1})
    assert response.status_code == 400 and "name" in response.json


def test_search_and_filters_never_fail(app, su):
    for query in ("search=%00", "search=" + "x" * 300, "domain=%FF", "domain=" + "é" * 300):
        for collection in ("domainaliases", "accounts", "aliases"):
            assert su.get(f"{collection}/?{query}").status_code in (200, 400), query
    assert su.get("accounts/exists/").json == {"detail": "email not provided"}
    assert su.get("accounts/exists/?email=%00é").status_code == 400
    assert su.get("accounts/exists/?email=é@a.test").json == {"exists": False}


UNICODE = ["é", "ü@ü.test", "😀@a.test", "\u202eevil", "ｆｕｌｌ.test", "ß" * 99, "用户@a.test",
           "xn--", "@", "a@", "\u00a0", "é" * 300]  # fmt: skip


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_unicode_in_every_string_field(app, su, world, collection):
    """Every string field, on create and update, answers < 500 with any Unicode text."""
    from modoboa_flask.blueprints.api import account_views, aliases, domainaliases, domains
    from modoboa_flask.blueprints.api.fields import Email, List, Nested, String

    schema = {"domains": domains.DOMAIN, "domainaliases": domainaliases.DOMAIN_ALIAS,
              "accounts": account_views.ACCOUNT, "aliases": aliases.ALIAS}[collection]  # fmt: skip
    base = dict(BODIES[collection])
    if collection == "domainaliases":
        base["target"] = world["dom_a"]
    pk = {"domains": "dom_a", "domainaliases": "domalias_a", "accounts": "user_a",
          "aliases": "alias_a"}[collection]  # fmt: skip
    for name, spec in schema.fields.items():
        if spec.read_only:
            continue
        for text in UNICODE:
            if isinstance(spec, String | Email):
                value = text
            elif isinstance(spec, List):
                value = [text]
            elif isinstance(spec, Nested):
                value = {"full_address": text, "quota": 1}
            else:
                continue
            body = dict(base, **{name: value})
            for method, url in (("POST", f"{collection}/"), ("PUT", f"{collection}/{world[pk]}/")):
                response = su.request(method, url, json=body)
                assert response.status_code < 500, (method, name, text)
                assert response.is_json or response.status_code in (200, 201, 204)
