"""Password hashing in Dovecot's `{SCHEME}hash` format, and the shared password policy."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
import shutil
import subprocess

from passlib.hash import (
    argon2,
    bcrypt,
    des_crypt,
    ldap_salted_sha1,
    ldap_salted_sha512,
    md5_crypt,
    sha256_crypt,
    sha512_crypt,
)

# Parameter value -> Dovecot scheme name. The first eight are Modoboa 1.6's choices.
SCHEME_CHOICES = {
    "sha512crypt": "SHA512-CRYPT",
    "sha256crypt": "SHA256-CRYPT",
    "blfcrypt": "BLF-CRYPT",
    "md5crypt": "MD5-CRYPT",
    "sha256": "SHA256",
    "md5": "PLAIN-MD5",
    "crypt": "CRYPT",
    "plain": "PLAIN",
    "ssha512": "SSHA512",
    "argon2id": "ARGON2ID",
}
SCHEME_LABELS = {
    "sha512crypt": "sha512crypt",
    "sha256crypt": "sha256crypt",
    "blfcrypt": "bcrypt",
    "md5crypt": "md5crypt (weak)",
    "sha256": "sha256 (weak)",
    "md5": "md5 (weak)",
    "crypt": "crypt (weak)",
    "plain": "plain (weak)",
    "ssha512": "ssha512",
    "argon2id": "argon2id",
}
DEFAULT_SCHEME = "sha512crypt"
DEFAULT_ROUNDS = 70000
_STORED = re.compile(r"^\{([\w\-]+)\}(.+)$", re.S)


def _hash(scheme: str, password: str, rounds: int) -> str:
    if scheme == "PLAIN":
        return password
    if scheme == "PLAIN-MD5":
        return hashlib.md5(password.encode()).hexdigest()  # noqa: S324 - legacy scheme on demand
    if scheme == "SHA256":
        return base64.b64encode(hashlib.sha256(password.encode()).digest()).decode()
    if scheme == "CRYPT":
        return des_crypt.hash(password)
    if scheme == "MD5-CRYPT":
        return md5_crypt.hash(password)
    if scheme == "SHA256-CRYPT":
        return sha256_crypt.using(rounds=rounds).hash(password)
    if scheme == "SHA512-CRYPT":
        return sha512_crypt.using(rounds=rounds).hash(password)
    if scheme == "BLF-CRYPT":
        return bcrypt.using(rounds=12).hash(password)
    if scheme == "SSHA512":
        return ldap_salted_sha512.hash(password).removeprefix("{SSHA512}")
    if scheme == "ARGON2ID":
        return argon2.using(type="ID").hash(password)
    raise ValueError(f"Unsupported password scheme {scheme}")


def hash_password(password: str, scheme: str = DEFAULT_SCHEME, rounds: int = DEFAULT_ROUNDS) -> str:
    """Hash *password* with the parameter-level *scheme* (e.g. `sha512crypt`), Dovecot-style."""
    dovecot = SCHEME_CHOICES.get(scheme, scheme.upper())
    return "{%s}%s" % (dovecot, _hash(dovecot, password, rounds))


@functools.lru_cache(maxsize=4)
def dummy_hash(scheme: str = DEFAULT_SCHEME, rounds: int = DEFAULT_ROUNDS) -> str:
    """A hash of a random password, computed once per (scheme, rounds).

    Verifying against it costs what verifying a real password costs, so a login for an
    unknown username takes as long as one with a wrong password.
    """
    return hash_password(secrets.token_urlsafe(16), scheme, rounds)


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def verify_password(password: str, stored: str) -> bool:
    """Check *password* against a stored `{SCHEME}hash` value (every scheme Modoboa wrote)."""
    match = _STORED.match(stored or "")
    if not match:
        return False
    scheme, value = match.group(1).upper(), match.group(2)
    try:
        if scheme in ("PLAIN", "CLEAR", "CLEARTEXT"):
            return _equal(password, value)
        if scheme in ("MD5", "PLAIN-MD5", "LDAP-MD5") and re.fullmatch(r"[0-9a-fA-F]{32}", value):
            # Modoboa 1.6 wrote hex MD5 under {MD5}; Dovecot calls that PLAIN-MD5.
            return _equal(hashlib.md5(password.encode()).hexdigest(), value.lower())  # noqa: S324
        if scheme in ("MD5", "MD5-CRYPT"):
            return md5_crypt.verify(password, value)
        if scheme == "SHA256":
            digest = hashlib.sha256(password.encode()).digest()
            return _equal(base64.b64encode(digest).decode(), value) or _equal(
                digest.hex(), value.lower()
            )
        if scheme == "CRYPT":
            return _verify_crypt(password, value)
        if scheme == "SHA256-CRYPT":
            return sha256_crypt.verify(password, value)
        if scheme == "SHA512-CRYPT":
            return sha512_crypt.verify(password, value)
        if scheme == "BLF-CRYPT":
            return bcrypt.verify(password, value)
        if scheme == "SSHA512":
            return ldap_salted_sha512.verify(password, "{SSHA512}" + value)
        if scheme == "SSHA":
            return ldap_salted_sha1.verify(password, "{SSHA}" + value)
        if scheme in ("ARGON2ID", "ARGON2I"):
            return argon2.verify(password, value)
    except (ValueError, TypeError):
        return False  # malformed stored hash: never a match, never a crash
    return False


def _verify_crypt(password: str, value: str) -> bool:
    for handler in (des_crypt, md5_crypt, sha256_crypt, sha512_crypt, bcrypt):
        if handler.identify(value):
            return handler.verify(password, value)
    return False


def stored_scheme(stored: str) -> str:
    """The Dovecot scheme name of a stored hash ('' when unparsable)."""
    match = _STORED.match(stored or "")
    return match.group(1).upper() if match else ""


def needs_rehash(stored: str, scheme: str) -> bool:
    """True when *stored* was not made with the parameter-level *scheme*."""
    return stored_scheme(stored) != SCHEME_CHOICES.get(scheme, scheme.upper())


@functools.cache
def doveadm_schemes(doveadm: str = "/usr/bin/doveadm") -> frozenset[str] | None:
    """Schemes the local `doveadm pw -l` lists, or None when doveadm is not installed."""
    path = shutil.which(doveadm) or shutil.which("doveadm")
    if not path:
        return None
    try:
        out = subprocess.run(
            [path, "pw", "-l"], capture_output=True, text=True, timeout=10, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return frozenset(out.split())


def available_schemes(doveadm: str = "/usr/bin/doveadm") -> list[tuple[str, str]]:
    """(value, label) of the schemes that may be chosen as default: those Dovecot knows."""
    known = doveadm_schemes(doveadm)
    return [
        (value, SCHEME_LABELS[value])
        for value, dovecot in SCHEME_CHOICES.items()
        if known is None or dovecot in known
    ]


PASSWORD_MIN_LENGTH = 8


def password_problems(password: str) -> list[str]:
    """Explain why *password* breaks the policy; empty when it is acceptable."""
    problems = []
    if len(password or "") < PASSWORD_MIN_LENGTH:
        problems.append(f"Password must be at least {PASSWORD_MIN_LENGTH} characters long.")
    if not re.search(r"[A-Z]", password or ""):
        problems.append("Password must contain at least one upper-case letter.")
    if not re.search(r"[a-z]", password or ""):
        problems.append("Password must contain at least one lower-case letter.")
    if not re.search(r"[0-9]", password or ""):
        problems.append("Password must contain at least one digit.")
    return problems
