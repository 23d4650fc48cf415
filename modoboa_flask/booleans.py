"""The one boolean parser for text: parameters, CSV cells, query strings, CLI values."""

from __future__ import annotations

TRUE_WORDS = ("yes", "true", "1", "y", "on")
FALSE_WORDS = ("no", "false", "0", "n", "off", "")
_STRICT = object()


def parse_bool(raw, default=_STRICT) -> bool:
    """True or False from yes/no, true/false, 1/0, y/n, on/off (any case, spaces ignored).

    Another word raises ValueError, unless a *default* is given: CSV cells and query
    strings take anything else as that default (as Modoboa's importer does).
    """
    if isinstance(raw, bool):
        return raw
    text = str(raw if raw is not None else "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    if default is _STRICT:
        raise ValueError(f"{raw!r} is not a yes/no value")
    return bool(default)
