"""What an import did (or would do), line by line, in bounded memory."""

from __future__ import annotations

from dataclasses import dataclass, field

CREATED, EXISTS, ERROR = "created", "exists", "error"


@dataclass
class Options:
    """How to run an import (shared by the UI, the CLI and the API)."""

    sepchar: str = ";"
    continue_on_error: bool = False
    crypt_password: bool = False
    dry_run: bool = False
    # Batched inserts for plain accounts and aliases; False forces the row-by-row path.
    fast: bool = True
    batch_size: int = 2000
    max_bytes: int | None = None
    # Lines kept for display: created ones only when asked (previews), problems always.
    keep_created: bool = True
    max_lines: int = 5000


@dataclass
class Line:
    """The verdict on one line of one file."""

    file: str
    number: int
    status: str
    message: str


@dataclass
class Report:
    """Counts of every verdict, the kept lines, and the per-file problems."""

    options: Options
    counts: dict = field(default_factory=lambda: {CREATED: 0, EXISTS: 0, ERROR: 0})
    lines: list[Line] = field(default_factory=list)
    file_errors: list[tuple[str, str]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    dropped: int = 0
    committed: bool = False
    _file_created: int = 0

    def add(self, file: str, number: int, status: str, message: str) -> None:
        """Record the verdict on one line."""
        self.counts[status] += 1
        if status == CREATED:
            self._file_created += 1
            if not self.options.keep_created:
                return
        if len(self.lines) < self.options.max_lines:
            self.lines.append(Line(file, number, status, message))
        else:
            self.dropped += 1

    def start_file(self, name: str) -> None:
        """Reset the per-file counter (a file problem undoes that file's lines)."""
        self.files.append(name)
        self._file_created = 0

    def sort(self) -> None:
        """Put the kept lines in file order (batches report their problems first)."""
        order = {
            name: index for index, name in enumerate(dict.fromkeys(x.file for x in self.lines))
        }
        self.lines.sort(key=lambda line: (order[line.file], line.number))

    def file_error(self, file: str, message: str) -> None:
        """The whole file was refused: nothing of it is kept."""
        self.counts[CREATED] -= self._file_created
        self._file_created = 0
        self.file_errors.append((file, message))

    @property
    def failed(self) -> bool:
        """True when the import must not be (or was not) written as a whole."""
        if self.file_errors or self.counts[ERROR]:
            return True
        return bool(self.counts[EXISTS]) and not self.options.continue_on_error

    @property
    def exit_code(self) -> int:
        """0 when every line went through, 1 otherwise (for the CLI)."""
        return 1 if self.failed else 0

    def status_label(self, status: str) -> str:
        """How to show a status in this run."""
        if status == CREATED:
            return "would be created" if self.options.dry_run else "created"
        if status == EXISTS:
            return "already exists" + (" (skipped)" if self.options.continue_on_error else "")
        return "error"

    def summary(self) -> str:
        """One sentence saying what happened."""
        created, exists, errors = (self.counts[k] for k in (CREATED, EXISTS, ERROR))
        parts = [
            f"{created} object{'s' if created != 1 else ''} "
            + ("would be created" if self.options.dry_run else "created"),
            f"{exists} already existed",
            f"{errors} error{'s' if errors != 1 else ''}",
        ]
        if self.file_errors:
            parts.append(f"{len(self.file_errors)} file(s) refused")
        text = ", ".join(parts) + "."
        if self.options.dry_run:
            return "Dry run: nothing was written. " + text
        if not self.committed:
            return "Nothing was written: fix the errors or continue on error. " + text
        return text
