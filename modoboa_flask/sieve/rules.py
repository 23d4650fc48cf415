"""Filter rules and out-of-office as data, and the one place they become Sieve text.

The script Modoboa stores through ManageSieve starts with a comment holding the rules as
JSON, so the rule editor reads back exactly what it wrote; the Sieve below it is generated
from that JSON. A script without that comment (or edited by hand) is "raw": it is shown in
the raw editor only, and Dovecot stays the judge of its syntax.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field

from ..exceptions import BadRequest

HEADER_PREFIX = "# modoboa-rules: "
FIELDS = {"from": "From", "to": "To/Cc", "subject": "Subject", "size": "Size", "header": "Header"}
TEXT_OPS = {
    "contains": "contains",
    "not_contains": "does not contain",
    "is": "is",
    "not_is": "is not",
    "matches": "matches (wildcards * ?)",
    "regex": "matches the regular expression",
}
SIZE_OPS = {"over": "is over (KB)", "under": "is under (KB)"}
ACTIONS = {
    "fileinto": "Move to folder",
    "copy": "Copy to folder",
    "redirect": "Redirect to",
    "reject": "Reject with message",
    "discard": "Discard",
    "seen": "Mark as read",
    "stop": "Stop processing rules",
}
MAX_SIZE = 2**31 - 1  # kilobytes; a larger Sieve number is refused by the server
ACTIONS_WITH_ARG = {"fileinto", "copy", "redirect", "reject"}
MAX_DAYS = 30  # Pigeonhole's default sieve_vacation_max_period is 60 days; 30 is plenty.
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 field-name: printable ASCII but ':'
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Condition:
    """One test: *field* (and *header* name for "header") compared by *op* with *value*."""

    field: str
    op: str
    value: str
    header: str = ""


@dataclass
class Action:
    """One action; *arg* is the folder, address or reject message where one is needed."""

    type: str
    arg: str = ""


@dataclass
class Rule:
    """A named rule: when all (or any) conditions hold, run the actions in order."""

    name: str
    conditions: list[Condition]
    actions: list[Action]
    match: str = "all"
    enabled: bool = True


@dataclass
class Vacation:
    """The out-of-office reply, answered once per sender every *days* days."""

    enabled: bool = False
    subject: str = ""
    message: str = ""
    addresses: list[str] = field(default_factory=list)
    days: int = 7
    start: str | None = None  # ISO dates, both inclusive; None = no bound
    end: str | None = None


@dataclass
class RuleSet:
    """Everything the rule editor manages in one script."""

    rules: list[Rule] = field(default_factory=list)
    vacation: Vacation = field(default_factory=Vacation)


def _text(
    value: str, label: str, *, field_name: str, multiline: bool = False, strip: bool = True
) -> str:
    value = (value or "").replace("\r\n", "\n")
    if not value.strip():
        raise BadRequest(f"{label} is required.", field=field_name)
    if _CONTROL.search(value) or (not multiline and "\n" in value):
        raise BadRequest(f"{label} contains control characters.", field=field_name)
    # Comparison values keep their spaces: "is" and regexes match them exactly.
    return value.strip() if strip and not multiline else value


def validate_rule(rule: Rule) -> Rule:
    """Check a rule's parts and return it cleaned; BadRequest names the faulty field."""
    rule.name = _text(rule.name, "Name", field_name="name")[:100]
    if rule.match not in ("all", "any"):
        raise BadRequest("Choose whether all or any condition must match.", field="match")
    if not rule.conditions:
        raise BadRequest("Add at least one condition.", field="conditions")
    if not rule.actions:
        raise BadRequest("Add at least one action.", field="actions")
    for cond in rule.conditions:
        if cond.field not in FIELDS:
            raise BadRequest(f"Unknown field {cond.field!r}.", field="conditions")
        if cond.field == "size":
            if cond.op not in SIZE_OPS:
                raise BadRequest("Size compares with 'over' or 'under'.", field="conditions")
            size = str(cond.value).strip()
            # ASCII digits only ('²'.isdigit() is true, int('²') fails), at most 2^31-1 K.
            if not (size.isascii() and size.isdigit()) or len(size) > 10 or int(size) > MAX_SIZE:
                raise BadRequest(
                    f"Size is a number of kilobytes (at most {MAX_SIZE}).", field="conditions"
                )
            cond.value = str(int(size))
            continue
        if cond.op not in TEXT_OPS:
            raise BadRequest(f"Unknown comparison {cond.op!r}.", field="conditions")
        if cond.field == "header":
            cond.header = (cond.header or "").strip()
            if not _HEADER_NAME.fullmatch(cond.header):
                raise BadRequest("Give a valid header name, e.g. X-Spam-Flag.", field="conditions")
        cond.value = _text(cond.value, "A condition's value", field_name="conditions", strip=False)
        if cond.op == "regex":
            try:
                re.compile(cond.value)
            except re.error as exc:
                raise BadRequest(
                    f"Invalid regular expression: {exc}.", field="conditions"
                ) from None
    for action in rule.actions:
        if action.type not in ACTIONS:
            raise BadRequest(f"Unknown action {action.type!r}.", field="actions")
        if action.type in ACTIONS_WITH_ARG:
            label = {"redirect": "The redirect address", "reject": "The reject message"}.get(
                action.type, "The folder"
            )
            action.arg = _text(action.arg, label, field_name="actions")
            if action.type == "redirect" and not re.fullmatch(
                r"[^@\s]+@[^@\s]+\.[^@\s]+", action.arg
            ):
                raise BadRequest("The redirect address is not an e-mail address.", field="actions")
        else:
            action.arg = ""
    return rule


def validate_vacation(vacation: Vacation, allowed_addresses: list[str]) -> Vacation:
    """Check the out-of-office settings; addresses must be the mailbox's own ones."""
    if not 1 <= int(vacation.days) <= MAX_DAYS:
        raise BadRequest(f"Days between replies: 1 to {MAX_DAYS}.", field="days")
    dates = {}
    for name in ("start", "end"):
        value = getattr(vacation, name)
        if value:
            try:
                dates[name] = dt.date.fromisoformat(str(value))
            except ValueError:
                raise BadRequest("Dates are YYYY-MM-DD.", field=name) from None
            setattr(vacation, name, dates[name].isoformat())
        else:
            setattr(vacation, name, None)
    if len(dates) == 2 and dates["end"] < dates["start"]:
        raise BadRequest("The end date is before the start date.", field="end")
    unknown = sorted(set(vacation.addresses) - set(allowed_addresses))
    if unknown:
        raise BadRequest(
            f"Not an address of this mailbox: {', '.join(unknown)}.", field="addresses"
        )
    if vacation.enabled:
        vacation.subject = _text(vacation.subject, "Subject", field_name="subject")[:200]
        vacation.message = _text(vacation.message, "Message", field_name="message", multiline=True)
        if not vacation.addresses:
            raise BadRequest("Choose at least one address to answer for.", field="addresses")
    return vacation


def quote(value: str) -> str:
    """A Sieve quoted string (RFC 5228 2.4.2: backslash escapes only \\ and ")."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _string_list(values: list[str]) -> str:
    return "[" + ", ".join(quote(v) for v in values) + "]"


def _test(cond: Condition) -> str:
    if cond.field == "size":
        return f"size :{cond.op} {cond.value}K"
    names = {"from": ["from"], "to": ["to", "cc"], "subject": ["subject"]}.get(
        cond.field, [cond.header]
    )
    negate = cond.op.startswith("not_")
    op = cond.op.removeprefix("not_")
    test = f"header :{op} {_string_list(names)} {quote(cond.value)}"
    return f"not {test}" if negate else test


def _action(action: Action) -> str:
    if action.type == "fileinto":
        return f"fileinto :create {quote(action.arg)};"
    if action.type == "copy":
        return f"fileinto :copy :create {quote(action.arg)};"
    if action.type == "redirect":
        return f"redirect {quote(action.arg)};"
    if action.type == "reject":
        return f"reject {quote(action.arg)};"
    if action.type == "seen":
        return 'addflag "\\\\Seen";'
    return f"{action.type};"  # discard, stop


def _requires(ruleset: RuleSet) -> list[str]:
    needed = set()
    for rule in ruleset.rules:
        if not rule.enabled:
            continue
        for cond in rule.conditions:
            if cond.op == "regex":
                needed.add("regex")
        for action in rule.actions:
            needed |= {
                "fileinto": {"fileinto", "mailbox"},
                "copy": {"fileinto", "mailbox", "copy"},
                "reject": {"reject"},
                "seen": {"imap4flags"},
            }.get(action.type, set())
    vacation = ruleset.vacation
    if vacation.enabled:
        needed.add("vacation")
        if vacation.start or vacation.end:
            needed |= {"date", "relational"}
    return sorted(needed)


def _vacation_block(v: Vacation) -> list[str]:
    bounds = [
        f'currentdate :value "{op}" "date" {quote(day)}'
        for op, day in (("ge", v.start), ("le", v.end))
        if day
    ]
    action = (
        f"vacation :days {int(v.days)} :subject {quote(v.subject)} "
        f":addresses {_string_list(v.addresses)} {quote(v.message)};"
    )
    if not bounds:
        return ["# Out of office", action, ""]
    return ["# Out of office", f"if allof ({', '.join(bounds)}) {{", f"    {action}", "}", ""]


def to_json(ruleset: RuleSet) -> str:
    """The rules as the compact JSON kept in the script's first comment."""
    return json.dumps(asdict(ruleset), separators=(",", ":"), ensure_ascii=True)


def render(ruleset: RuleSet) -> str:
    """The Sieve script for *ruleset*: the JSON comment, then requires, vacation, rules."""
    lines = [
        HEADER_PREFIX + to_json(ruleset),
        "# Generated by Modoboa (Settings > Filters). Edit the rules there: hand edits",
        "# below turn the rule editor off for this script.",
    ]
    requires = _requires(ruleset)
    if requires:
        lines.append(f"require {_string_list(requires)};")
    lines.append("")
    # Out of office first: a later "stop" or "discard" must not keep it from answering.
    if ruleset.vacation.enabled:
        lines += _vacation_block(ruleset.vacation)
    for rule in ruleset.rules:
        if not rule.enabled:
            continue
        tests = [_test(c) for c in rule.conditions]
        test = tests[0] if len(tests) == 1 else f"{rule.match}of ({', '.join(tests)})"
        # Mark read before filing, so the flag goes with the message into the folder.
        actions = sorted(rule.actions, key=lambda a: a.type != "seen")
        body = [f"    {_action(a)}" for a in actions]
        lines += [f"# Rule: {rule.name.replace(chr(10), ' ')}", f"if {test} {{", *body, "}", ""]
    return "\n".join(lines)


def from_dict(data: dict) -> RuleSet:
    """Rebuild a RuleSet from its JSON form."""
    rules = [
        Rule(
            name=r["name"],
            conditions=[Condition(**c) for c in r.get("conditions", [])],
            actions=[Action(**a) for a in r.get("actions", [])],
            match=r.get("match", "all"),
            enabled=r.get("enabled", True),
        )
        for r in data.get("rules", [])
    ]
    return RuleSet(rules=rules, vacation=Vacation(**data.get("vacation", {})))


def stored_ruleset(script: str | None) -> RuleSet | None:
    """The RuleSet in a script's first comment (even if the text below was edited), or None."""
    first = (script or "").partition("\n")[0]
    if not first.startswith(HEADER_PREFIX):
        return None
    try:
        return from_dict(json.loads(first[len(HEADER_PREFIX) :]))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def parse(script: str | None) -> RuleSet | None:
    """The RuleSet a script was generated from, or None when it is raw (hand-written)."""
    if not (script or "").strip():
        return RuleSet()
    ruleset = stored_ruleset(script)
    # Hand edits below the comment make the script raw: the editor would silently drop them.
    return ruleset if ruleset is not None and _same(render(ruleset), script) else None


def _same(a: str, b: str) -> bool:
    return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()
