"""The rule model -> Sieve text, in one place: each condition, action and the vacation."""

import pytest

from modoboa_flask.exceptions import BadRequest
from modoboa_flask.sieve import rules
from modoboa_flask.sieve.rules import Action, Condition, Rule, RuleSet, Vacation


def _script(*conditions, actions=None, match="all", enabled=True):
    actions = actions or [Action("stop")]
    rule = Rule("r", list(conditions), list(actions), match=match, enabled=enabled)
    return rules.render(RuleSet(rules=[rules.validate_rule(rule)]))


@pytest.mark.parametrize(
    "condition, test",
    [
        (Condition("from", "contains", "boss"), 'if header :contains ["from"] "boss" {'),
        (Condition("to", "is", "a@b.c"), 'if header :is ["to", "cc"] "a@b.c" {'),
        (
            Condition("subject", "matches", "*[SPAM]*"),
            'if header :matches ["subject"] "*[SPAM]*" {',
        ),
        (Condition("subject", "regex", "^re: "), 'if header :regex ["subject"] "^re: " {'),
        (Condition("subject", "not_contains", "x"), 'if not header :contains ["subject"] "x" {'),
        (Condition("subject", "not_is", "x"), 'if not header :is ["subject"] "x" {'),
        (Condition("header", "is", "YES", "X-Spam-Flag"), 'if header :is ["X-Spam-Flag"] "YES" {'),
        (Condition("size", "over", "100"), "if size :over 100K {"),
        (Condition("size", "under", "5"), "if size :under 5K {"),
    ],
)
def test_each_condition(condition, test):
    assert test in _script(condition).splitlines()


def test_regex_needs_its_extension():
    assert '"regex"' in _script(Condition("subject", "regex", "a+")).split("require", 1)[1]


@pytest.mark.parametrize(
    "action, line, extensions",
    [
        (
            Action("fileinto", "Lists.Work"),
            'fileinto :create "Lists.Work";',
            {"fileinto", "mailbox"},
        ),
        (Action("copy", "Archive"), 'fileinto :copy :create "Archive";', {"copy"}),
        (Action("redirect", "x@y.org"), 'redirect "x@y.org";', set()),
        (Action("reject", "Go away"), 'reject "Go away";', {"reject"}),
        (Action("discard"), "discard;", set()),
        (Action("seen"), 'addflag "\\\\Seen";', {"imap4flags"}),
        (Action("stop"), "stop;", set()),
    ],
)
def test_each_action(action, line, extensions):
    text = _script(Condition("from", "contains", "a"), actions=[action])
    assert f"    {line}" in text.splitlines()
    for name in extensions:
        assert f'"{name}"' in text.split("require", 1)[1].splitlines()[0]


def test_any_of_several_conditions_and_mark_read_first():
    text = _script(
        Condition("from", "contains", "a"), Condition("size", "over", "1"),
        actions=[Action("fileinto", "F"), Action("seen")], match="any",
    )  # fmt: skip
    body = text.split("# Rule: r\n", 1)[1].splitlines()
    assert body[0] == 'if anyof (header :contains ["from"] "a", size :over 1K) {'
    assert body[1:3] == ['    addflag "\\\\Seen";', '    fileinto :create "F";']


def test_quotes_and_backslashes_are_escaped():
    text = _script(Condition("subject", "is", 'say "hi" \\o/'))
    assert 'header :is ["subject"] "say \\"hi\\" \\\\o/" {' in text


def test_disabled_rule_is_kept_but_not_run():
    text = _script(Condition("from", "contains", "a"), enabled=False)
    assert "if " not in text and rules.parse(text).rules[0].enabled is False


def test_vacation_within_dates_comes_first():
    vacation = Vacation(
        True, "Away", 'Back "soon"', ["u@x.org", "a@x.org"], 5, "2026-12-01", "2026-12-24"
    )
    ruleset = RuleSet([Rule("r", [Condition("from", "is", "a")], [Action("discard")])], vacation)
    text = rules.render(ruleset)
    assert 'require ["date", "relational", "vacation"];' in text
    assert text.index("vacation :days") < text.index("# Rule: r")
    assert (
        'if allof (currentdate :value "ge" "date" "2026-12-01", '
        'currentdate :value "le" "date" "2026-12-24") {' in text
    )
    assert (
        'vacation :days 5 :subject "Away" :addresses ["u@x.org", "a@x.org"] "Back \\"soon\\"";'
        in text
    )


def test_open_ended_vacation_has_no_date_test():
    text = rules.render(RuleSet(vacation=Vacation(True, "Away", "Gone", ["u@x.org"], 7)))
    assert "currentdate" not in text and 'require ["vacation"];' in text


def test_round_trip_and_hand_edits_make_the_script_raw():
    ruleset = RuleSet([Rule("r", [Condition("from", "is", "a")], [Action("stop")])])
    text = rules.render(ruleset)
    assert rules.parse(text) == ruleset
    assert rules.parse(text + "\ndiscard;\n") is None
    assert rules.stored_ruleset(text + "\ndiscard;\n") == ruleset
    assert rules.parse('require "fileinto";\nfileinto "x";') is None
    assert rules.parse("") == RuleSet()


@pytest.mark.parametrize(
    "rule, field",
    [
        (Rule("", [Condition("from", "is", "a")], [Action("stop")]), "name"),
        (Rule("r", [], [Action("stop")]), "conditions"),
        (Rule("r", [Condition("from", "is", "a")], []), "actions"),
        (Rule("r", [Condition("date", "is", "a")], [Action("stop")]), "conditions"),
        (Rule("r", [Condition("from", "over", "a")], [Action("stop")]), "conditions"),
        (Rule("r", [Condition("size", "over", "big")], [Action("stop")]), "conditions"),
        (Rule("r", [Condition("header", "is", "a", "Bad Name:")], [Action("stop")]), "conditions"),
        (Rule("r", [Condition("subject", "regex", "(")], [Action("stop")]), "conditions"),
        (Rule("r", [Condition("subject", "is", "a\nb")], [Action("stop")]), "conditions"),
        (Rule("r", [Condition("from", "is", "a")], [Action("fileinto", " ")]), "actions"),
        (Rule("r", [Condition("from", "is", "a")], [Action("redirect", "nobody")]), "actions"),
        (Rule("r", [Condition("from", "is", "a")], [Action("execute", "x")]), "actions"),
        (Rule("r", [Condition("from", "is", "a")], [Action("stop")], match="some"), "match"),
    ],
)
def test_bad_rules_are_refused_on_their_field(rule, field):
    with pytest.raises(BadRequest) as exc:
        rules.validate_rule(rule)
    assert exc.value.field == field


@pytest.mark.parametrize(
    "vacation, field",
    [
        (Vacation(True, "", "m", ["u@x.org"]), "subject"),
        (Vacation(True, "s", " ", ["u@x.org"]), "message"),
        (Vacation(True, "s", "m", []), "addresses"),
        (Vacation(True, "s", "m", ["other@x.org"]), "addresses"),
        (Vacation(True, "s", "m", ["u@x.org"], days=0), "days"),
        (Vacation(True, "s", "m", ["u@x.org"], days=31), "days"),
        (Vacation(True, "s", "m", ["u@x.org"], start="2026-13-01"), "start"),
        (Vacation(True, "s", "m", ["u@x.org"], start="2026-12-02", end="2026-12-01"), "end"),
    ],
)
def test_bad_vacations_are_refused_on_their_field(vacation, field):
    with pytest.raises(BadRequest) as exc:
        rules.validate_vacation(vacation, ["u@x.org"])
    assert exc.value.field == field


def test_a_disabled_vacation_needs_no_text():
    assert rules.validate_vacation(Vacation(False), ["u@x.org"]).enabled is False


@pytest.mark.parametrize("value", ["²", "٣", "１２", "9" * 40, str(2**31), "-1", "1e3"])
def test_a_size_is_a_plain_bounded_number_else_a_field_error(value):
    """'²'.isdigit() is true but int('²') fails (a 500); a huge size makes a script the
    ManageSieve server refuses."""
    rule = Rule("r", [Condition("size", "over", value)], [Action("stop")])
    with pytest.raises(BadRequest) as refused:
        rules.validate_rule(rule)
    assert refused.value.field == "conditions"
