"""Password hashing: every scheme verifies here and in the real Dovecot; the shared policy."""

import hashlib

import pytest
from passlib.hash import des_crypt, ldap_salted_sha1

from modoboa_flask import params
from modoboa_flask.accounts import set_password
from modoboa_flask.extensions import db
from modoboa_flask.models import User
from modoboa_flask.passwords import (
    SCHEME_CHOICES,
    available_schemes,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from tests.peers import require
from tests.peers.dovecot import doveadm_pw_verify

SECRET = "Secret123"


@pytest.mark.parametrize("scheme", sorted(SCHEME_CHOICES))
def test_every_scheme_round_trips(scheme):
    stored = hash_password(SECRET, scheme, 5000)
    assert stored.startswith("{%s}" % SCHEME_CHOICES[scheme])
    assert verify_password(SECRET, stored)
    assert not verify_password("secret123", stored)


@pytest.mark.peers
@pytest.mark.parametrize("scheme", sorted(SCHEME_CHOICES))
def test_real_dovecot_verifies_every_scheme(scheme):
    require("doveadm", "doveadm (dovecot-core) is needed to check hashes against Dovecot")
    stored = hash_password(SECRET, scheme, 5000)
    assert doveadm_pw_verify(stored, SECRET)
    assert not doveadm_pw_verify(stored, "Wrong1234")


@pytest.mark.parametrize(
    "stored",
    [
        "{PLAIN}Secret123",
        "{MD5}" + hashlib.md5(b"Secret123").hexdigest(),
        "{CRYPT}" + des_crypt.hash("Secret123"),
        "{SSHA}" + ldap_salted_sha1.hash("Secret123").removeprefix("{SSHA}"),
    ],
    ids=["plain", "md5-hex", "des-crypt", "ssha"],
)
def test_legacy_modoboa_formats_verify(stored):
    # Modoboa 1.6 wrote hex MD5 as {MD5}; other tools write {SSHA}: both must keep working.
    assert verify_password("Secret123", stored)


@pytest.mark.parametrize("stored", ["", "nohash", "{SHA512-CRYPT}garbage", "{UNKNOWN}x", None])
def test_malformed_hashes_never_match_or_crash(stored):
    assert verify_password("Secret123", stored) is False


def test_needs_rehash():
    assert needs_rehash(hash_password(SECRET, "md5crypt"), "sha512crypt")
    assert not needs_rehash(hash_password(SECRET, "sha512crypt", 1000), "sha512crypt")


@pytest.mark.parametrize(
    "password, ok",
    [
        ("toto", False),
        ("tutu", False),
        ("pass", False),
        ("password", False),
        ("PASSWORD1", False),
        ("Password", False),
        ("Pass1", False),
        ("Toto1234", True),
        ("12345Toi", True),
    ],
)
def test_policy(password, ok):
    assert (password_problems(password) == []) is ok


def test_policy_messages_name_each_rule():
    problems = password_problems("abc")
    assert any("8 characters" in p for p in problems)
    assert any("upper-case" in p for p in problems)
    assert any("digit" in p for p in problems)


def test_scheme_and_rounds_parameters_apply_to_next_password(app):
    with app.app_context():
        user = db.session.get(User, 1) or db.session.scalars(db.select(User)).first()
        params.set("core.password_scheme", "sha256crypt")
        params.set("core.rounds_number", "12345")
        set_password(user, SECRET)
        assert user.password.startswith("{SHA256-CRYPT}$5$rounds=12345$")
        params.set("core.password_scheme", "blfcrypt")
        set_password(user, SECRET)
        assert user.password.startswith("{BLF-CRYPT}$2")


def test_only_schemes_doveadm_lists_are_offered(monkeypatch):
    from modoboa_flask import passwords

    monkeypatch.setattr(
        passwords, "doveadm_schemes", lambda path=None: frozenset({"SHA512-CRYPT", "PLAIN"})
    )
    assert [value for value, _ in available_schemes()] == ["sha512crypt", "plain"]
    monkeypatch.setattr(passwords, "doveadm_schemes", lambda path=None: None)
    assert len(available_schemes()) == len(SCHEME_CHOICES)
