"""Write the Postfix map files, keeping hand-edited ones and the credentials already in place.

A checksum file (``modoboa-postfix-maps.chk``, one ``file:dbtype:md5`` line per map) tells a
file we wrote from one an administrator changed: a changed file is kept and reported. An
unchanged file is re-rendered with the database type and connection lines it already holds,
so credentials set for Postfix survive upgrades (unless --force-overwrite or --dburl).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime

from .connection import MailDatabase
from .dovecot import refuse_link, write_private
from .postfix_maps import PostfixMap, all_maps

CHECKSUM_FILE = "modoboa-postfix-maps.chk"
_CONNECTION_KEYS = ("dbpath", "user", "password", "dbname", "hosts")


@dataclass
class MapReport:
    """What generate_postfix_maps did."""

    destdir: str
    written: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)  # changed by hand: kept as they are


def md5(text: str) -> str:
    """The checksum recorded for a generated file."""
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - a change detector, not security


def render_map(pmap: PostfixMap, dbtype: str, connection: dict, commandline: str) -> str:
    """The text of one map file."""
    lines = [
        f"# This file was generated on {datetime.now():%Y-%m-%d %H:%M:%S} by running:",
        f"# {commandline}",
        "# DO NOT EDIT!",
    ]
    lines += [f"{key} = {value}" for key, value in connection.items()]
    lines.append(f"query = {pmap.query(dbtype)}")
    return "\n".join(lines) + "\n"


def parse_map_file(path: str) -> dict[str, str]:
    """`name = value` lines of a map file (comments ignored)."""
    values = {}
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def parse_checksums(lines) -> dict[str, tuple[str, str]]:
    """{filename: (dbtype, md5)} from the lines of a checksum file (`file:dbtype:md5`).

    The one reader of the format: the generator and the Information page both use it.
    Lines of another shape are skipped.
    """
    result = {}
    for line in lines:
        parts = line.strip().split(":")
        if len(parts) == 3 and parts[0]:
            result[parts[0]] = (parts[1], parts[2].lower())
    return result


def read_checksums(destdir: str, filename: str = CHECKSUM_FILE) -> dict[str, tuple[str, str]]:
    """{filename: (dbtype, md5)} from the checksum file (empty when there is none)."""
    path = os.path.join(destdir, filename)
    refuse_link(path)
    if not os.path.exists(path):
        return {}
    with open(path) as fh:
        return parse_checksums(fh)


def generate_postfix_maps(
    destdir: str,
    database: MailDatabase,
    *,
    force: bool = False,
    keep_credentials: bool = True,
    commandline: str = "",
) -> MapReport:
    """Write every registered map into *destdir*; return what was written or kept."""
    os.makedirs(destdir, exist_ok=True)
    report = MapReport(destdir=os.path.abspath(destdir))
    recorded = read_checksums(destdir)
    checksums = {}
    for pmap in all_maps():
        path = os.path.join(destdir, pmap.filename)
        refuse_link(path)  # before reading it: a link could point anywhere
        dbtype, connection = database.dbtype, database.postfix_params()
        if os.path.exists(path) and not force:
            with open(path) as fh:
                current = fh.read()
            known = recorded.get(pmap.filename)
            if known is None or known[1] != md5(current):
                report.modified.append(pmap.filename)
                checksums[pmap.filename] = known or (dbtype, "")
                continue
            if keep_credentials:
                existing = parse_map_file(path)
                dbtype = known[0]
                connection = {k: existing[k] for k in _CONNECTION_KEYS if k in existing}
        text = render_map(pmap, dbtype, connection, commandline)
        write_private(path, text, group="postfix")
        checksums[pmap.filename] = (dbtype, md5(text))
        report.written.append(pmap.filename)
    lines = "".join(f"{name}:{dbtype}:{digest}\n" for name, (dbtype, digest) in checksums.items())
    write_private(os.path.join(destdir, CHECKSUM_FILE), lines, group="postfix")
    return report
