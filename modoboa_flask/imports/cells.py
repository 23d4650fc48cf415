"""Spreadsheet-formula neutralisation of free-text CSV cells, and its exact reversal.

A spreadsheet opening an export evaluates a cell that starts with `=`, `+`, `-`, `@`, a tab
or a carriage return (CSV injection: `=cmd|' /C calc'!A0`). The export prefixes such a cell
with one `'`, which spreadsheets show as text. A cell that starts with `'` followed by one of
those characters or by another `'` gets a `'` too, so that the import can strip exactly one
leading `'` where the export added one: every value survives an export -> import round trip,
and a hand-written `'t Hart` (a `'` before anything else) is imported as written.

Free-text cells are the account's first and last names, an administrator's username (any
string without spaces) and plugin columns. Addresses and domain names are not touched: they
are validated identifiers, and Modoboa must read them back as they are (`@example.org` is a
catch-all alias).
"""

from __future__ import annotations

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def _marked(value: str) -> bool:
    """True when *value* starts like a formula or like a neutralised cell."""
    return value.startswith(TRIGGERS) or (value[:1] == QUOTE and value[1:2] in (*TRIGGERS, QUOTE))


def neutralise(value):
    """*value* as a CSV cell a spreadsheet will not evaluate (non-strings are unchanged)."""
    if isinstance(value, str) and _marked(value):
        return QUOTE + value
    return value


def restore(value: str) -> str:
    """The value `neutralise` was given: strip the one `'` it added, if any."""
    if value[:1] == QUOTE and _marked(value[1:]):
        return value[1:]
    return value
