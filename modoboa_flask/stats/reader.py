"""Reading log files from where the last run stopped: plain, gzip, or `journalctl -o export`.

A file is recognised by a hash of its first line, which survives rotation by rename and
compression (`mail.log` -> `mail.log.1` -> `mail.log.2.gz`), so a rotated file resumes where
its cursor stopped instead of being read again. Only complete lines (journal: complete
records) are consumed: a line being written stays for the next run.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

CHUNK_LINES = 50_000  # lines between two commits: bounds memory and the work lost on a crash


@dataclass
class LogFile:
    """An opened log: its identity, its format and where reading starts."""

    path: str
    fingerprint: str
    inode: int
    journal: bool


def open_stream(path: str) -> BinaryIO:
    """Open *path* for binary reading, decompressing `.gz` files."""
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")  # noqa: SIM115 - the caller closes it


def identify(path: str) -> LogFile | None:
    """Fingerprint *path* by its first line; None while that line is not complete."""
    with open_stream(path) as stream:
        first = stream.readline(65536)
    if not first.endswith(b"\n"):
        return None
    digest = hashlib.sha256(first).hexdigest()
    return LogFile(path, digest, os.stat(path).st_ino, first.startswith(b"__CURSOR="))


def read_lines(stream: BinaryIO, offset: int) -> Iterator[tuple[bytes, int]]:
    """Yield (line without newline, offset after it) for each complete line from *offset*."""
    stream.seek(offset)
    for line in stream:
        if not line.endswith(b"\n"):
            return  # being written: read it next time
        offset += len(line)
        yield line.rstrip(b"\r\n"), offset


def read_journal(stream: BinaryIO, offset: int) -> Iterator[tuple[tuple | None, int]]:
    """Yield ((time, program, message) or None, offset after it) per `-o export` record."""
    stream.seek(offset)
    fields: dict[bytes, bytes] = {}
    while True:
        line = stream.readline()
        if not line.endswith(b"\n"):
            return  # an incomplete record: the export is still being written
        offset += len(line)
        if line == b"\n":
            yield _journal_entry(fields), offset
            fields = {}
            continue
        name, sep, value = line[:-1].partition(b"=")
        if not sep:  # binary field: name, 64-bit little-endian length, data, newline
            size_raw = stream.read(8)
            if len(size_raw) < 8:
                return
            (size,) = struct.unpack("<Q", size_raw)
            value = stream.read(size + 1)
            if len(value) < size + 1:
                return
            offset += 8 + size + 1
            value = value[:-1]
        fields[name] = value


def _journal_entry(fields: dict[bytes, bytes]) -> tuple | None:
    program = fields.get(b"SYSLOG_IDENTIFIER", b"").decode("ascii", "replace")
    stamp = fields.get(b"__REALTIME_TIMESTAMP")
    if not program.startswith("postfix") or not stamp or not stamp.isdigit():
        return None
    when = datetime.fromtimestamp(int(stamp) / 1_000_000, UTC).replace(tzinfo=None)
    return when, program, fields.get(b"MESSAGE", b"").decode("utf-8", "replace")


def rotated_sibling(path: str) -> str | None:
    """`PATH.1` when it exists (plain, as logrotate's delaycompress leaves it), else None."""
    candidate = f"{path}.1"
    return candidate if os.path.isfile(candidate) else None
