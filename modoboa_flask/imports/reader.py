"""Stream the rows of a CSV file in Modoboa's format, whatever its line endings or BOM.

The file is read in chunks, never whole: a 100,000-line file costs no more memory than a
10-line one. Problems that concern the whole file (not text, not UTF-8, empty, too big) raise
`FileProblem`; problems of one line are the row handlers' business.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

SNIFF_BYTES = 8192
# Fields longer than this are certainly not part of a Modoboa file (csv's own limit is 128 KB).
FIELD_LIMIT = 64 * 1024


class FileProblem(Exception):
    """The file as a whole cannot be imported; the message says why."""


def check_sepchar(sepchar: str | None) -> str:
    """The separator to use (';' when empty); one printable character, not a quote."""
    sepchar = sepchar or ";"
    if len(sepchar) != 1 or sepchar in '"\r\n' or not (sepchar.isprintable() or sepchar == "\t"):
        raise FileProblem(f"Invalid separator {sepchar!r}: give one character such as ';' or ','.")
    return sepchar


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


class _Counted(io.RawIOBase):
    """A raw reader over *stream* that counts bytes and stops past *limit* bytes."""

    def __init__(self, stream, head: bytes, limit: int | None):
        super().__init__()
        self._stream, self._head, self._limit = stream, head, limit
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            data, self._head = self._head[: len(buffer)], self._head[len(buffer) :]
        else:
            data = self._stream.read(len(buffer))
        if not data:
            return 0
        self.count += len(data)
        if self._limit is not None and self.count > self._limit:
            raise FileProblem(
                f"The file is larger than {_megabytes(self._limit)}: split it, "
                "or import it with the `flask import` command."
            )
        buffer[: len(data)] = data
        return len(data)


class RowReader:
    """Iterate `(line number, fields)` over a binary *stream*; `bytes_read` tracks progress."""

    def __init__(self, stream, sepchar: str = ";", max_bytes: int | None = None):
        self.sepchar = check_sepchar(sepchar)
        head = stream.read(SNIFF_BYTES) or b""
        if isinstance(head, str):
            raise TypeError("RowReader needs a binary stream")
        if b"\x00" in head:
            raise FileProblem("This is not a text file (it contains binary data).")
        self._raw = _Counted(stream, head, max_bytes)
        self._rows = 0

    @property
    def bytes_read(self) -> int:
        """Bytes consumed so far (for a progress bar)."""
        return self._raw.count

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        # newline="" hands \r\n, \n and lone \r through to csv, which splits on all three.
        text = io.TextIOWrapper(io.BufferedReader(self._raw), encoding="utf-8-sig", newline="")
        reader = csv.reader(text, delimiter=self.sepchar)
        previous = csv.field_size_limit(FIELD_LIMIT)
        try:
            while True:
                try:
                    fields = next(reader)
                except StopIteration:
                    break
                except UnicodeDecodeError:
                    raise FileProblem(
                        f"Line {reader.line_num + 1}: the file is not UTF-8 text. "
                        "Save it as UTF-8 and try again."
                    ) from None
                except csv.Error as exc:
                    raise FileProblem(f"Line {reader.line_num}: unreadable CSV ({exc}).") from None
                fields = [field.strip() for field in fields]
                if not any(fields):
                    continue
                self._rows += 1
                yield reader.line_num, fields
        finally:
            csv.field_size_limit(previous)
        if not self._rows:
            raise FileProblem("The file is empty: there is nothing to import.")
