"""Key pairs, TXT records and private key files (no database access here)."""

from __future__ import annotations

import base64
import grp
import os
import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ...exceptions import BadRequest, Conflict
from ..mailserver.dovecot import refuse_link, write_private

KEY_LENGTHS = (1024, 2048, 4096)
# One or more DNS labels (RFC 6376 §3.1), lower case; it also names the key file.
SELECTOR_RE = re.compile(
    r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)
SELECTOR_MAX = 30  # Modoboa 2.x's dkim_key_selector length
_DOMAIN_RE = re.compile(r"[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?")


def clean_selector(value: str) -> str:
    """*value* lower-cased if it is a valid selector, else BadRequest on `selector`."""
    selector = (value or "").strip().lower()
    if not selector or len(selector) > SELECTOR_MAX or not SELECTOR_RE.fullmatch(selector):
        raise BadRequest(
            f"A selector is 1 to {SELECTOR_MAX} letters, digits and hyphens (dots between "
            "labels), starting and ending with a letter or digit.",
            field="selector",
        )
    return selector


def clean_key_length(value) -> int:
    """*value* as an allowed key size, else BadRequest on `key_length`."""
    try:
        bits = int(value)
    except (TypeError, ValueError):
        bits = 0
    if bits not in KEY_LENGTHS:
        raise BadRequest(
            "Key size must be " + ", ".join(map(str, KEY_LENGTHS)) + " bits.", field="key_length"
        )
    return bits


def generate_pair(bits: int) -> tuple[bytes, str]:
    """A new RSA key: (PKCS#1 PEM of the private key, base64 DER of the public key)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,  # what opendkim-genkey writes
        serialization.NoEncryption(),
    )
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, base64.b64encode(der).decode()


def txt_value(public_key: str) -> str:
    """The TXT record's text."""
    return f"v=DKIM1; k=rsa; p={public_key}"


def txt_strings(public_key: str) -> list[str]:
    """The record's text cut into strings of at most 255 bytes (RFC 7208 §3.3 / 1035)."""
    value = txt_value(public_key)
    return [value[i : i + 255] for i in range(0, len(value), 255)]


def record_name(selector: str, domain: str) -> str:
    """`selector._domainkey.domain` (no final dot)."""
    return f"{selector}._domainkey.{domain}"


def zone_record(selector: str, domain: str, public_key: str) -> str:
    """The record as one zone-file line, ready to paste."""
    quoted = " ".join(f'"{s}"' for s in txt_strings(public_key))
    return f"{record_name(selector, domain)}. IN TXT ( {quoted} )"


def key_path(keys_dir: str, domain: str, selector: str) -> str:
    """Where the private key of *domain*/*selector* lives, strictly inside *keys_dir*."""
    if not _DOMAIN_RE.fullmatch(domain) or ".." in domain or not SELECTOR_RE.fullmatch(selector):
        raise BadRequest("Invalid domain name or selector for a key file name.")
    root = os.path.realpath(keys_dir)
    # Named after the DNS record: "._domainkey." (an underscore no selector or domain holds)
    # keeps the name unique; "<domain>.<selector>" let x.example + selector com.a overwrite
    # (and retire) the key of x.example.com + selector a, another tenant's domain.
    path = os.path.join(root, f"{record_name(selector, domain)}.pem")
    if os.path.dirname(os.path.realpath(path)) != root:
        raise BadRequest("Refusing a key path outside the DKIM key directory.")
    return path


def ensure_keys_dir(keys_dir: str, group: str) -> None:
    """Create the key directory (0750, group *group* when possible) if it does not exist."""
    if not keys_dir:
        raise BadRequest("No DKIM key directory is configured (MODOBOA_DKIM_KEYS_DIR).")
    if os.path.islink(keys_dir):
        raise BadRequest(f"Refusing the DKIM key directory {keys_dir}: it is a symbolic link.")
    if not os.path.isdir(keys_dir):
        try:
            os.makedirs(keys_dir, mode=0o750)
        except OSError as exc:
            raise BadRequest(f"Cannot create the DKIM key directory {keys_dir}: {exc}") from None
        _give_group(keys_dir, group)


def _give_group(path: str, group: str) -> None:
    """chgrp *path* to *group*: works as root or as a member; otherwise keep the default."""
    try:
        os.chown(path, -1, grp.getgrnam(group).gr_gid, follow_symlinks=False)
    except (KeyError, PermissionError):
        pass  # no such group here, or not ours to give: a setgid directory still passes it on


def write_key(keys_dir: str, group: str, domain: str, selector: str, pem: bytes) -> str:
    """Write a private key file 0640 (group *group*, the signer's); return its path."""
    ensure_keys_dir(keys_dir, group)
    path = key_path(keys_dir, domain, selector)
    if os.path.lexists(path):
        # Never replace a key file: a renamed domain's key keeps its old name, and the next
        # domain of that name (another tenant's, perhaps) would overwrite or retire it.
        raise Conflict(
            f"A key file for selector {selector} of {domain} already exists: choose another "
            "selector.",
            field="selector",
        )
    try:
        write_private(path, pem.decode(), group=group)
    except OSError as exc:
        raise BadRequest(f"Cannot write the DKIM key {path}: {exc}") from None
    _give_group(path, group)
    return path


def delete_key(keys_dir: str, path: str) -> None:
    """Remove a private key file, only if it lies directly in *keys_dir*."""
    if not path:
        return
    root = os.path.realpath(keys_dir) if keys_dir else ""
    refuse_link(path)
    if not root or os.path.dirname(os.path.realpath(path)) != root:
        return  # a path we did not write (an upgraded database's): leave it to the admin
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def parse_record(text: str) -> dict[str, str]:
    """The tags of a DKIM TXT record ({} when it is not one)."""
    tags = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            tags[name.strip().lower()] = "".join(value.split())
    if tags.get("v", "DKIM1") != "DKIM1" or "p" not in tags:
        return {}
    return tags
