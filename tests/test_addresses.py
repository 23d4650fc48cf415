"""The one home of names and addresses (modoboa_flask.addresses): rules and messages."""

import pytest

from modoboa_flask import addresses
from modoboa_flask.exceptions import BadRequest
from tests.hostile_names import HOSTILE_LOCAL_PARTS, UNUSUAL_LOCAL_PARTS, ids


@pytest.mark.parametrize("local", HOSTILE_LOCAL_PARTS, ids=ids(HOSTILE_LOCAL_PARTS))
def test_hostile_local_parts_are_refused(local):
    assert addresses.local_part_problem(local)
    with pytest.raises(BadRequest) as exc:
        addresses.normalize_address(f"{local}@a.com", "email")
    assert exc.value.field == "email" and "Invalid e-mail address" in exc.value.message
    assert "\x00" not in exc.value.message and "\n" not in exc.value.message
    with pytest.raises(BadRequest, match="local part"):
        addresses.check_local_part(local, "admin_local_part")
    assert not addresses.is_address(f"{local}@a.com", strict=True)


@pytest.mark.parametrize("local", UNUSUAL_LOCAL_PARTS)
def test_unusual_valid_local_parts_are_accepted(local):
    assert addresses.normalize_address(f"{local}@A.com") == f"{local}@a.com"
    assert addresses.check_local_part(local.upper()) == local.upper().lower()


@pytest.mark.parametrize(
    ("local", "reason"),
    [
        ("../b.com/u2", "can't contain '/'"),
        ("..", "can't start or end with a dot"),
        ("a..b", "two dots in a row"),
        ("-a", "can't start with '-'"),
        ("a\x00b", "can't contain NUL"),
        ("a\tb", "can't contain spaces"),
        ("a\u202eb", "control characters"),
        ("x" * 65, "limited to 64 characters"),
        ("é" * 33, "limited to 64 characters"),  # 66 octets in UTF-8
        ('a"b', "can't contain '\"'"),
    ],
)
def test_refusals_say_why(local, reason):
    with pytest.raises(BadRequest, match=reason):
        addresses.normalize_address(f"{local}@a.com")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("User@Example.ORG", "user@example.org"),
        (" a+b@xn--pout-dpa.com ", "a+b@xn--pout-dpa.com"),
        ("u@pouét.com", "u@xn--pout-dpa.com"),
        ("u@example.com.", "u@example.com"),
        ("@Catch.All", BadRequest),
        ("@", BadRequest),
        ("no-at", BadRequest),
        ("a@b", BadRequest),
        ("a b@c.org", BadRequest),
        ("a@ b.org", BadRequest),
        ("x@-bad-.org", BadRequest),
        ("", BadRequest),
        ("a@b@c.org", BadRequest),
        ("a@1.2.3.4", BadRequest),
    ],
)
def test_addresses_normalize(value, expected):
    if expected is BadRequest:
        with pytest.raises(BadRequest, match="Invalid e-mail address"):
            addresses.normalize_address(value)
    else:
        assert addresses.normalize_address(value) == expected


def test_catchall_rule():
    assert addresses.normalize_address("@Catch.All", catchall=True) == "@catch.all"
    assert addresses.normalize_address("@pouét.com", catchall=True) == "@xn--pout-dpa.com"
    for value in ("@", "@nodot", "@@a.com", "@a b.com"):
        with pytest.raises(BadRequest):
            addresses.normalize_address(value, catchall=True)
    assert addresses.is_address("@a.com", catchall=True)
    assert not addresses.is_address("@a.com")


@pytest.mark.parametrize("local", ["..", ".a", "a.", "first..last", "-a"])
def test_external_addresses_only_refuse_what_is_dangerous(local):
    """Recipients we don't host never become a path: odd but deliverable addresses pass."""
    assert addresses.normalize_address(f"{local}@gmail.com", strict=False) == f"{local}@gmail.com"


@pytest.mark.parametrize("local", ["a/b", "a\\b", "a\x00b", "a\tb", "a b", "a,b", "a<b", "x" * 65])
def test_external_addresses_still_refuse_paths_and_controls(local):
    with pytest.raises(BadRequest):
        addresses.normalize_address(f"{local}@gmail.com", strict=False)


def test_address_length():
    local, label = "a" * 64, "b" * 63
    longest = f"{local}@{label}.{label}.{'c' * 57}.org"
    assert len(longest) == 254 and addresses.normalize_address(longest) == longest
    with pytest.raises(BadRequest, match="limited to 254 characters"):
        addresses.normalize_address(longest.replace(".org", "c.org"))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a" * 64 + ".com", "label of a domain name is limited to 63 characters"),
        (("a" * 60 + ".") * 5 + "com", "domain name is limited to 253 characters"),
        ("localhost", "needs a dot and a top-level domain"),
        ("under_score.com", "not a valid domain name"),
        ("", "Enter a domain name"),
    ],
)
def test_domain_names_refused_with_clear_messages(name, message):
    with pytest.raises(BadRequest, match=message):
        addresses.normalize_domain(name)
    assert addresses.domain_or_empty(name) == ""


def test_domain_names_normalize():
    assert addresses.normalize_domain(" MÜNCHEN.de. ") == "xn--mnchen-3ya.de"
    assert addresses.domain_or_empty("Example.COM") == "example.com"
    with pytest.raises(BadRequest, match="limited to 100 characters"):
        addresses.normalize_domain("a" * 60 + "." + "b" * 60 + ".com", max_length=100)


@pytest.mark.parametrize(
    ("username", "ok"),
    [("admin", True), ("Admin@Example.com", True), ("o'brien", True), ("-admin", True),
     ("@SUM(1)adm", True), ("x" * 100, True), ("../b.com/u2@a.com", False), ("..", False),
     (".", False), ("a/b", False), ("a\\b", False), ("a b", False), ("a\x00b", False),
     ("a\u202eb", False), ("", False), ("x" * 255, False)],
)  # fmt: skip
def test_administrator_usernames(username, ok):
    """Login names never name a directory: only what makes paths or hides text is refused."""
    assert (addresses.username_problem(username) is None) is ok


def test_display():
    assert addresses.display_domain("xn--pout-dpa.com") == "pouét.com"
    assert addresses.display_address("toto@xn--pout-dpa.com") == "toto@pouét.com"
    assert addresses.display_domain("xn--zz.com") == "xn--zz.com"
