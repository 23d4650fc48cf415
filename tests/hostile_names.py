"""Local parts every path that creates an address must refuse, and unusual ones it must accept.

Issue 11: a mailbox's directory is `<domain>/<local part>`, so each hostile value below could
put one tenant's mail directory in another's (or delete the mail store).
"""

HOSTILE_LOCAL_PARTS = [
    "../b.com/u2", "..", ".", "a/b", "a\\b", "a\x00b", "-a", ".a", "a.", "a..b", "a\tb",
    "a\nb", "a b", "x" * 65, "a\u202eb",
]  # fmt: skip

UNUSUAL_LOCAL_PARTS = ["o'brien", "a+tag", "x_y", "a.b", "ééé"]


_NAMES = {"\x00": "<NUL>", "\t": "<TAB>", "\n": "<LF>", " ": "<SP>", "\\": "<BSL>",
          "\u202e": "<RLO>"}  # fmt: skip


def ids(values) -> list[str]:
    """Readable test ids for *values* (special characters named, long values cut)."""
    return ["".join(_NAMES.get(ch, ch) for ch in value)[:20] for value in values]
