"""`sightline prompts …` against a real database file."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from typer.testing import CliRunner

import bot.cli.prompts as prompts_cli
from bot.cli import app
from bot.cli.context import STATE
from bot.runtime import Runtime, build_runtime
from stories.clock import FixedClock
from stories.errors import NoPromptSenderError
from tests.fakes.prompt_sender import RecordingSender

runner = CliRunner()


@pytest.fixture
def sender(monkeypatch: pytest.MonkeyPatch) -> RecordingSender:
    """Stands in for a configured Slack: the CLI asks `build_senders` for its senders."""
    fake = RecordingSender()

    def build(runtime: Runtime, **_: Any) -> dict[str, RecordingSender]:
        return {"slack": fake}

    monkeypatch.setattr(prompts_cli, "build_senders", build)
    return fake


def run(*args: str, ok: bool = True) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result.output


def setup_finance() -> None:
    run("departments", "add", "Finance", "--slack-channel", "CFIN", "--tz", "Europe/London")
    run(
        "stories",
        "add",
        "A customer was billed twice and waited a month for the refund.",
        "--touchpoint",
        "billing",
        "--shared",
    )


@pytest.mark.usefixtures("cli")
def test_library_lists_the_shipped_questions() -> None:
    out = json.loads(run("prompts", "library", "--json"))
    assert len(out["prompts"]) >= 30
    finance = json.loads(run("prompts", "library", "--area", "finance", "--json"))
    assert finance["prompts"]
    assert {p["area"] for p in finance["prompts"]} == {"finance"}
    assert "Prompt library" in run("prompts", "library")


@pytest.mark.usefixtures("cli")
def test_preview_shows_story_and_question_and_sends_nothing() -> None:
    setup_finance()
    out = json.loads(run("prompts", "preview", "finance", "--json"))
    assert out["area"] == "finance"
    assert out["story"]["touchpoint"] == "billing"
    assert out["story"]["matched_touchpoint"] is True
    assert out["question"]["key"].startswith("finance-")
    text = run("prompts", "preview", "Finance")
    assert "billed twice" in text
    assert "Question finance-" in text
    assert json.loads(run("prompts", "deliveries", "--json")) == {"deliveries": []}


@pytest.mark.usefixtures("cli")
def test_send_without_a_platform_explains_and_records_nothing() -> None:
    setup_finance()
    result = runner.invoke(app, ["prompts", "send", "Finance"])
    assert isinstance(result.exception, NoPromptSenderError)
    assert "No chat platform can deliver prompts to Finance" in str(result.exception)
    assert "Nothing was sent" in str(result.exception)
    assert json.loads(run("prompts", "deliveries", "--json")) == {"deliveries": []}


@pytest.mark.usefixtures("cli")
def test_send_goes_through_the_ledger(sender: RecordingSender) -> None:
    clock = FixedClock(datetime(2026, 11, 2, 9, 0, 0, tzinfo=UTC))
    STATE._runtime = build_runtime(STATE.settings, clock=clock)
    setup_finance()
    out = run("prompts", "send", "finance")
    assert "Sent a prompt to Finance (slack CFIN)" in out
    [message] = sender.sent
    assert message.destination == "CFIN"
    assert "billed twice" in message.story_text
    [row] = json.loads(run("prompts", "deliveries", "--json"))["deliveries"]
    assert row["status"] == "sent"
    assert row["kind"] == "manual"
    assert row["department"] == "Finance"
    assert row["id"] == message.delivery_id
    assert row["question"] == message.question_key
    # A double press in the same second is the same manual occurrence: nothing more is sent.
    assert "nothing more was sent" in run("prompts", "send", "finance")
    # Later, the only story was sent recently: the send is recorded as skipped, and says why.
    clock.advance(minutes=5)
    second = run("prompts", "send", "finance", ok=False)
    assert "no eligible story" in second
    statuses = [
        r["status"] for r in json.loads(run("prompts", "deliveries", "--json"))["deliveries"]
    ]
    assert sorted(statuses) == ["sent", "skipped"]
    assert "Prompt deliveries" in run("prompts", "deliveries")
    assert len(sender.sent) == 1


@pytest.mark.usefixtures("cli")
def test_schedule_lists_upcoming_occurrences_in_local_time() -> None:
    run(
        "departments",
        "add",
        "Legal",
        "--tz",
        "America/New_York",
        "--time",
        "09:30",
        "--days",
        "tue",
    )
    out = json.loads(run("prompts", "schedule", "legal", "--days", "14", "--json"))
    assert out["timezone"] == "America/New_York"
    assert len(out["occurrences"]) == 2
    assert all("Tue" in o["local"] and "09:30" in o["local"] for o in out["occurrences"])


@pytest.mark.usefixtures("cli")
def test_unknown_department_is_a_friendly_error() -> None:
    setup_finance()
    result = runner.invoke(app, ["prompts", "preview", "Accounts Payable"])
    assert result.exit_code != 0
    assert "No department found" in str(result.exception)


@pytest.mark.usefixtures("cli")
def test_members_overrides_by_hand() -> None:
    setup_finance()
    out = json.loads(run("prompts", "members", "Finance", "--add", "U1", "--add", "U2", "--json"))
    assert out["channel"] == "never read"
    assert sorted(m["user"] for m in out["members"]) == ["U1", "U2"]
    out = json.loads(run("prompts", "members", "Finance", "--remove", "U2", "--json"))
    assert [m["user"] for m in out["members"]] == ["U1"]
    assert "Finance: 1 member(s)" in run("prompts", "members", "Finance")


@pytest.mark.usefixtures("cli")
def test_a_departments_reminder_delay_is_shown_and_set() -> None:
    setup_finance()
    assert json.loads(run("prompts", "reminders", "Finance", "--json")) == {
        "department": "Finance",
        "reminder_after_hours": 24.0,  # the default
    }
    assert "6 h after each prompt" in run("prompts", "reminders", "Finance", "--after", "6")
    off = json.loads(run("prompts", "reminders", "Finance", "--after", "0", "--json"))
    assert off["reminder_after_hours"] is None
    assert "no reminder" in run("prompts", "reminders", "Finance")
    again = json.loads(run("prompts", "reminders", "Finance", "--default", "--json"))
    assert again["reminder_after_hours"] == 24.0
    refused = runner.invoke(app, ["prompts", "reminders", "Finance", "--after", "-1"])
    assert refused.exit_code != 0
    assert "greater than or equal to 0" in refused.output
