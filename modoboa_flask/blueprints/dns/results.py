"""What every DNS check answers: a status, a plain-language message, the record to publish."""

from __future__ import annotations

from dataclasses import dataclass

OK, WARNING, ERROR, UNKNOWN = "ok", "warning", "error", "unknown"
SEVERITY = {OK: 0, UNKNOWN: 1, WARNING: 2, ERROR: 3}


@dataclass(frozen=True)
class Result:
    """One check's outcome."""

    status: str
    message: str
    record: str = ""


def worst(statuses) -> str:
    """The most severe of *statuses* (`unknown` when empty)."""
    statuses = list(statuses)
    return max(statuses, key=SEVERITY.__getitem__) if statuses else UNKNOWN
