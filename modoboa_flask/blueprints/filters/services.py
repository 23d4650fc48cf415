"""Filters and out-of-office of one account: rules kept in its ManageSieve script.

Shared by the user's own Settings > Filters and an administrator's view of an account they
manage. Every function takes the acting user first, checks scope, talks to ManageSieve
through sieve.client (never files) and writes the audit row; the caller commits the audit.
"""

from __future__ import annotations

from dataclasses import dataclass

from ... import audit
from ...exceptions import BadRequest, NotFound
from ...permissions import can_manage_account
from ...sieve import client, rules
from ...sieve.rules import Rule, RuleSet, Vacation
from ..identities.mailboxes import mailbox_alias_addresses


@dataclass
class Filters:
    """What the filter pages show: the rules (None = raw script) and the script text."""

    ruleset: RuleSet | None
    text: str
    other_active: str | None  # a script activated elsewhere (e.g. by a webmail)


def check_scope(actor, account) -> None:
    """Refuse accounts *actor* may not manage, and accounts without a mailbox."""
    # Out of scope answers 404 like every other object lookup: no existence oracle.
    if actor.id != account.id and not can_manage_account(actor, account):
        raise NotFound("No such account.")
    if account.mailbox is None:
        raise NotFound("This account has no mailbox, so no filters.")


def _address(account) -> str:
    # Dovecot's passdb knows accounts by core_user.email (password_query).
    return account.email or account.mailbox.full_address


def load(actor, account) -> Filters:
    """Read *account*'s Modoboa script (an empty rule set when there is none)."""
    check_scope(actor, account)
    with client.session_for(_address(account)) as sieve:
        active, _others = sieve.active_script()
        text = sieve.get() or ""
    other = active if active and active != client.SCRIPT_NAME else None
    return Filters(rules.parse(text), text, other)


def _store(actor, account, ruleset: RuleSet, message: str) -> RuleSet:
    text = rules.render(ruleset)
    with client.session_for(_address(account)) as sieve:
        sieve.put(text)
    _audit(actor, account, message)
    return ruleset


def _audit(actor, account, message: str) -> None:
    whose = "own" if actor.id == account.id else f"{account.username}'s"
    audit.record(f"{message} ({whose} filters)", action="modify", obj=account)


def _editable(actor, account) -> RuleSet:
    ruleset = load(actor, account).ruleset
    if ruleset is None:
        raise BadRequest(
            "This script was edited by hand: change it in the raw editor, or rebuild it from "
            "rules (which discards the hand edits)."
        )
    return ruleset


def _rule_at(ruleset: RuleSet, index: int) -> Rule:
    if not 0 <= index < len(ruleset.rules):
        raise NotFound("No such rule.")
    return ruleset.rules[index]


def get_rule(actor, account, index: int) -> Rule:
    """Rule number *index* of an editable (not hand-edited) script."""
    return _rule_at(_editable(actor, account), index)


def add_rule(actor, account, rule: Rule) -> RuleSet:
    """Append *rule* (validated) to *account*'s rules."""
    check_scope(actor, account)  # scope first; validation before any connection
    rule = rules.validate_rule(rule)
    ruleset = _editable(actor, account)
    ruleset.rules.append(rule)
    return _store(actor, account, ruleset, f"Filter rule '{rule.name}' added")


def update_rule(actor, account, index: int, rule: Rule) -> RuleSet:
    """Replace rule number *index* (0-based) by *rule*."""
    check_scope(actor, account)
    rule = rules.validate_rule(rule)
    ruleset = _editable(actor, account)
    _rule_at(ruleset, index)
    ruleset.rules[index] = rule
    return _store(actor, account, ruleset, f"Filter rule '{rule.name}' modified")


def delete_rule(actor, account, index: int) -> RuleSet:
    """Remove rule number *index*."""
    ruleset = _editable(actor, account)
    _rule_at(ruleset, index)
    rule = ruleset.rules.pop(index)
    return _store(actor, account, ruleset, f"Filter rule '{rule.name}' deleted")


def move_rule(actor, account, index: int, to: int) -> RuleSet:
    """Move rule *index* to position *to* (clamped), keeping the others' order."""
    ruleset = _editable(actor, account)
    rule = _rule_at(ruleset, index)
    ruleset.rules.pop(index)
    to = max(0, min(int(to), len(ruleset.rules)))
    ruleset.rules.insert(to, rule)
    return _store(actor, account, ruleset, f"Filter rule '{rule.name}' moved to {to + 1}")


def set_rule_enabled(actor, account, index: int, enabled: bool) -> RuleSet:
    """Enable or disable rule *index* (a disabled rule stays listed, out of the script)."""
    ruleset = _editable(actor, account)
    rule = _rule_at(ruleset, index)
    rule.enabled = bool(enabled)
    state = "enabled" if enabled else "disabled"
    return _store(actor, account, ruleset, f"Filter rule '{rule.name}' {state}")


def save_raw(actor, account, text: str) -> None:
    """Store a hand-written script; Dovecot compiles it and its error message is shown."""
    check_scope(actor, account)
    text = (text or "").replace("\r\n", "\n")
    if len(text.encode()) > 64 * 1024:
        raise BadRequest("The script is larger than 64 KB.", field="script")
    with client.session_for(_address(account)) as sieve:
        head = (sieve.get() or "").partition("\n")[0]
        if head.startswith(rules.HEADER_PREFIX) and not text.startswith(rules.HEADER_PREFIX):
            # Keep the rules comment (a comment: Sieve ignores it) so "Rebuild from rules"
            # can bring the rules back; the edited text no longer matches it, so the rule
            # editor stays off meanwhile.
            text = f"{head}\n{text}"
        sieve.put(text)
    _audit(actor, account, "Sieve script edited by hand")


def rebuild(actor, account) -> RuleSet:
    """Replace a hand-edited script with the rules it last held (or none)."""
    check_scope(actor, account)
    with client.session_for(_address(account)) as sieve:
        text = sieve.get() or ""
    ruleset = rules.stored_ruleset(text) or RuleSet()
    return _store(actor, account, ruleset, "Sieve script rebuilt from rules")


def vacation_addresses(account) -> list[str]:
    """Addresses an out-of-office reply may answer for: the mailbox and its aliases."""
    return [account.mailbox.full_address, *mailbox_alias_addresses(account.mailbox)]


def set_vacation(actor, account, vacation: Vacation) -> RuleSet:
    """Save the out-of-office settings as a vacation rule in the active script."""
    check_scope(actor, account)
    vacation = rules.validate_vacation(vacation, vacation_addresses(account))
    ruleset = _editable(actor, account)
    ruleset.vacation = vacation
    state = "enabled" if vacation.enabled else "disabled"
    return _store(actor, account, ruleset, f"Out of office {state}")
