"""The one chat command grammar, read the same way for Slack and for Teams."""

from __future__ import annotations

import pytest

from handlers.slack.leads import channel_id
from stories.conversation.commands import (
    LeadAction,
    MemberAction,
    parse_lead,
    parse_member,
)
from stories.conversation.texts import SLACK, TEAMS, Syntax
from stories.errors import InvalidFieldError

BOTH = pytest.mark.parametrize("syntax", [SLACK, TEAMS], ids=["slack", "teams"])


@BOTH
def test_add_with_every_option_and_typographic_quotes(syntax: Syntax) -> None:
    command = parse_lead(
        "department add “Accounts Payable” <#C0FIN0001|finance> --customer-facing "
        "--time 09:30 --tz=Europe/London —days mon-fri",
        syntax=syntax,
    )
    assert command.action == LeadAction.ADD
    assert command.spec is not None
    assert command.spec.name == "Accounts Payable"
    assert command.channel == "<#C0FIN0001|finance>"
    assert command.spec.customer_facing is True
    assert (command.spec.prompt_time, command.spec.timezone, command.spec.prompt_days) == (
        "09:30",
        "Europe/London",
        "mon-fri",
    )


@BOTH
def test_names_need_no_quotes_and_apostrophes_are_letters(syntax: Syntax) -> None:
    command = parse_lead("department pause Women's Health", syntax=syntax)
    assert (command.action, command.name) == (LeadAction.PAUSE, "Women's Health")


@BOTH
def test_summary_and_export_read_periods_names_and_formats(syntax: Syntax) -> None:
    assert parse_lead("summary", syntax=syntax).period is None
    command = parse_lead("summary 90d Accounts Payable", syntax=syntax)
    assert (command.action, command.period, command.name) == (
        LeadAction.SUMMARY,
        "90d",
        "Accounts Payable",
    )
    ranged = parse_lead("summary 2026-10-01..2026-10-31", syntax=syntax)
    assert (ranged.period, ranged.name) == ("2026-10-01..2026-10-31", "")
    export = parse_lead("export quarter jsonl", syntax=syntax)
    assert (export.action, export.period, export.format) == (LeadAction.EXPORT, "quarter", "jsonl")
    with pytest.raises(InvalidFieldError, match="neither a period"):
        parse_lead("export everything", syntax=syntax)


@pytest.mark.parametrize(
    "text",
    [
        "department add #finance",
        "department add Finance --time",
        "department delete Finance",
        "department add Finance --colour red",
        "departments please",
        "prompt later Finance",
        "department add Finance “unclosed",
        "nonsense here",
    ],
)
@BOTH
def test_malformed_commands_explain_themselves_in_the_platforms_words(
    text: str, syntax: Syntax
) -> None:
    with pytest.raises(InvalidFieldError) as raised:
        parse_lead(text, syntax=syntax)
    message = str(raised.value)
    if "write" in message:
        assert f"“{syntax.lead}" in message  # Slack: “/cx …”, Teams: “department …”


def test_slack_channels_come_from_its_suggestions() -> None:
    assert channel_id("<#C0FIN0001|finance>") == "C0FIN0001"
    with pytest.raises(InvalidFieldError, match="suggestions"):
        channel_id("#finance")


@pytest.mark.parametrize(
    ("text", "prefixed", "action", "rest"),
    [
        ("", True, MemberAction.FORM, ""),
        ("The refund took weeks", True, MemberAction.CAPTURE, "The refund took weeks"),
        ("search refund -delay", True, MemberAction.SEARCH, "refund -delay"),
        ("random", True, MemberAction.RANDOM, ""),
        ("help", True, MemberAction.HELP, ""),
        ("home", True, MemberAction.HOME, ""),
        ("random thoughts of a customer", True, MemberAction.CAPTURE, ""),
        ("story", False, MemberAction.FORM, ""),
        ("STORY She waited", False, MemberAction.CAPTURE, "She waited"),
        ("storyteller", False, MemberAction.HELP, ""),
        ("summary 7d", False, MemberAction.LEAD, "summary 7d"),
        ("summaryx", False, MemberAction.HELP, ""),
        ("hello", False, MemberAction.HELP, ""),
    ],
)
def test_member_commands(text: str, prefixed: bool, action: MemberAction, rest: str) -> None:
    command = parse_member(text, prefixed=prefixed)
    assert command.action == action
    if rest:
        assert command.rest == rest
