"""The signers' tables: OpenDKIM's KeyTable and SigningTable, rspamd's dkim_signing maps.

Same rules as the Postfix maps (`mailserver/generator.py`): a checksum file
(`modoboa-dkim-tables.chk`, `file:dkim:md5` lines) tells a file we wrote from one changed by
hand; a changed file is kept and reported unless `--force-overwrite`.
"""

from __future__ import annotations

import os
from datetime import datetime

from ..mailserver.dovecot import refuse_link, write_private
from ..mailserver.generator import MapReport, md5, read_checksums

CHECKSUM_FILE = "modoboa-dkim-tables.chk"
KEY_TABLE = "KeyTable"
SIGNING_TABLE = "SigningTable"
RSPAMD_SELECTORS = "dkim_selectors.map"
RSPAMD_PATHS = "dkim_paths.map"
RSPAMD_CONF = "dkim_signing.conf"


def _header(commandline: str, comment: str = "#") -> list[str]:
    return [
        f"{comment} This file was generated on {datetime.now():%Y-%m-%d %H:%M:%S} by running:",
        f"{comment} {commandline}",
        f"{comment} DO NOT EDIT!",
    ]


def render(entries: list[tuple[str, str, str]], destdir: str, commandline: str) -> dict[str, str]:
    """{filename: text} for *entries* = [(domain, selector, private key path)]."""
    head = _header(commandline)
    # KeyTable: "name domain:selector:keyfile"; SigningTable (plain file): "domain name",
    # which OpenDKIM looks up for the sender's address, then its domain.
    key_table = [f"{s}._domainkey.{d} {d}:{s}:{p}" for d, s, p in entries]
    signing = [f"{d} {s}._domainkey.{d}" for d, s, _p in entries]
    selectors = [f"{d} {s}" for d, s, _p in entries]
    paths = [f"{d} {p}" for d, _s, p in entries]
    directory = os.path.abspath(destdir)
    conf = [
        *_header(commandline),
        "# rspamd: copy to /etc/rspamd/local.d/dkim_signing.conf",
        f'path_map = "{directory}/{RSPAMD_PATHS}";',
        f'selector_map = "{directory}/{RSPAMD_SELECTORS}";',
        "# Sign only the domains listed in the maps, for authenticated users and local mail.",
        "try_fallback = false;",
        'use_domain = "header";',
        "allow_username_mismatch = true;",
    ]
    return {
        KEY_TABLE: "\n".join([*head, *key_table]) + "\n",
        SIGNING_TABLE: "\n".join([*head, *signing]) + "\n",
        RSPAMD_SELECTORS: "\n".join([*head, *selectors]) + "\n",
        RSPAMD_PATHS: "\n".join([*head, *paths]) + "\n",
        RSPAMD_CONF: "\n".join(conf) + "\n",
    }


def write_tables(
    destdir: str, files: dict[str, str], *, force: bool = False, group: str = "opendkim"
) -> MapReport:
    """Write *files* into *destdir*, keeping files changed by hand; return what was done."""
    os.makedirs(destdir, exist_ok=True)
    report = MapReport(destdir=os.path.abspath(destdir))
    recorded = read_checksums(destdir, CHECKSUM_FILE)
    checksums = {}
    for name, text in files.items():
        path = os.path.join(destdir, name)
        refuse_link(path)  # before reading it: a link could point anywhere
        if os.path.exists(path) and not force:
            with open(path) as fh:
                current = fh.read()
            known = recorded.get(name)
            if known is None or known[1] != md5(current):
                report.modified.append(name)
                checksums[name] = known or ("dkim", "")
                continue
        write_private(path, text, group=group)
        checksums[name] = ("dkim", md5(text))
        report.written.append(name)
    lines = "".join(f"{name}:{kind}:{digest}\n" for name, (kind, digest) in checksums.items())
    write_private(os.path.join(destdir, CHECKSUM_FILE), lines, group=group)
    return report


def opendkim_conf(destdir: str, socket: str) -> str:
    """The opendkim.conf lines reading our tables."""
    directory = os.path.abspath(destdir)
    return (
        f"KeyTable           file:{directory}/{KEY_TABLE}\n"
        f"SigningTable       {directory}/{SIGNING_TABLE}\n"
        f"Socket             {socket}\n"
        "Canonicalization   relaxed/simple\n"
        "Mode               sv\n"
    )


def postfix_milter(milter: str) -> str:
    """The main.cf lines sending mail through the signer (OpenDKIM or rspamd)."""
    return (
        f"smtpd_milters = {milter}\n"
        "non_smtpd_milters = $smtpd_milters\n"
        "milter_default_action = accept\n"
        "milter_protocol = 6\n"
    )


def opendkim_socket_to_milter(socket: str) -> str:
    """OpenDKIM's `inet:PORT@HOST` as Postfix's `inet:HOST:PORT` (local sockets as they are)."""
    if socket.startswith("inet:") and "@" in socket:
        port, _, host = socket[5:].partition("@")
        return f"inet:{host}:{port}"
    return socket
