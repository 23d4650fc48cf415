"""Key pairs, records and key files, without the database."""

import base64
import os

import pytest
from cryptography.hazmat.primitives import serialization

from modoboa_flask.blueprints.dkim import keys
from modoboa_flask.exceptions import BadRequest

from .conftest import mode


@pytest.mark.parametrize("bits", [1024, 2048])
def test_generated_pair_matches_and_has_the_asked_size(bits):
    pem, public = keys.generate_pair(bits)
    private = serialization.load_pem_private_key(pem, password=None)
    assert pem.startswith(b"-----BEGIN RSA PRIVATE KEY-----")  # what OpenDKIM reads
    assert private.key_size == bits
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert base64.b64decode(public) == der


def test_long_records_are_split_into_255_byte_strings():
    _pem, public = keys.generate_pair(4096)
    strings = keys.txt_strings(public)
    assert len(strings) > 2 and all(len(s.encode()) <= 255 for s in strings)
    assert "".join(strings) == f"v=DKIM1; k=rsa; p={public}"
    line = keys.zone_record("sel", "example.com", public)
    assert line.startswith('sel._domainkey.example.com. IN TXT ( "v=DKIM1; k=rsa; p=')
    assert line.count('"') == 2 * len(strings)


@pytest.mark.parametrize("bad", ["", "-x", "x-", "a b", "a_b", "../etc", "x" * 31, "é"])
def test_bad_selectors_are_refused_on_their_field(bad):
    with pytest.raises(BadRequest) as exc:
        keys.clean_selector(bad)
    assert exc.value.field == "selector"


def test_selectors_are_lower_cased_and_may_hold_labels():
    assert keys.clean_selector(" Mail-2026 ") == "mail-2026"
    assert keys.clean_selector("a.b") == "a.b"


@pytest.mark.parametrize("bad", [512, "2048x", None, 8192])
def test_only_three_key_sizes(bad):
    with pytest.raises(BadRequest) as exc:
        keys.clean_key_length(bad)
    assert exc.value.field == "key_length"


def test_key_files_are_0640_inside_the_directory_only(tmp_path):
    root = tmp_path / "keys"
    path = keys.write_key(str(root), "no-such-group-here", "example.com", "sel", b"PEM\n")
    assert path == os.path.join(os.path.realpath(root), "sel._domainkey.example.com.pem")
    assert mode(path) == 0o640 and mode(root) == 0o750
    for domain in ("../evil", "a/b", ".hidden", "x..y"):
        with pytest.raises(BadRequest):
            keys.key_path(str(root), domain, "sel")


def test_a_linked_key_directory_or_file_is_refused(tmp_path):
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "link")
    with pytest.raises(BadRequest, match="symbolic link"):
        keys.write_key(str(tmp_path / "link"), "g", "example.com", "sel", b"x")
    root = tmp_path / "keys"
    root.mkdir()
    os.symlink("/etc/passwd", root / "sel._domainkey.example.com.pem")
    with pytest.raises(BadRequest, match="outside the DKIM key directory|symbolic link"):
        keys.write_key(str(root), "g", "example.com", "sel", b"x")
    assert open("/etc/passwd").read() != "x"


def test_records_are_parsed_tag_by_tag():
    assert keys.parse_record("v=DKIM1; k=rsa; p=AB CD")["p"] == "ABCD"
    assert keys.parse_record("v=spf1 -all") == {}
    assert keys.parse_record("v=DKIM2; p=x") == {}
