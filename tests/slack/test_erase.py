"""`sightline members erase` end to end (issue 14, item 1): after it, neither the SQLite
file nor what Slack shows (the fake Web API's channels) holds the erased member's words or
id; summaries stay exact; one audit event says what happened without naming them."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli import app
from handlers.slack import prompt_cards as cards
from stories.departments import DepartmentSpec, add_department
from stories.models import (
    AuditEvent,
    ErasedStories,
    Member,
    PromptAnswer,
    Story,
    StoryDay,
    Workspace,
    WorkspaceDataPolicy,
)
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, SlackHarness
from tests.slack.test_prompts import _action, _answer, _eventually, _scheduler
from tests.stored_bytes import sqlite_bytes

ADA = "U0ADA0042"  # the member who asks to be erased
BOB = "U0BOB0001"
FINANCE_CHANNEL = "C0FINANCE"
SHARED = "The Zebulon Quaggafrost bakery was charged twice for one order and gave up."
PRIVATE = "Private: Ximena Wobblethorpe waited five weeks for her deposit to come back."
ADA_ANSWER = "Plimsoll Vexbridge here: our refunds batch could run daily instead."
BOB_ANSWER = "Finance could flag double charges before the invoice run goes out."
ADA_WORDS = ("Zebulon", "Quaggafrost", "Wobblethorpe", "Plimsoll", "Vexbridge", ADA)
runner = CliRunner()


async def _tell(slack: SlackHarness, text: str, *, channel: str, key: str) -> None:
    answered = len(slack.fake.calls_to("response_url")) + 1
    name = "directmessage" if channel.startswith("D") else "support"
    await slack.command(text, user=ADA, channel=channel, channel_name=name, response_key=key)
    await slack.fake.wait_for("response_url", answered)


async def _answered(slack: SlackHarness, user: str, delivery_id: int, text: str) -> None:
    posts = len(slack.fake.calls_to("chat.postMessage"))
    await slack.interaction(_action(slack, user, cards.ANSWER_ACTION, str(delivery_id)))
    await slack.interaction(_answer(user, delivery_id, text))
    await _eventually(lambda: len(slack.fake.calls_to("chat.postMessage")) > posts)
    await slack.platform.listeners.drain()


async def _story_world(slack: SlackHarness, session: Session) -> int:
    """Ada tells a shared and a private story; Finance is prompted with the shared one; Bob
    and Ada answer it (Ada hears about Bob's answer in a direct message)."""
    await _tell(slack, SHARED, channel="C0PUBLIC1", key="shared")
    await _tell(slack, PRIVATE, channel="D0ADA0042", key="private")
    await slack.fake.wait_for("chat.postMessage", 1)  # the stories channel post
    await _eventually(lambda: bool(_story_post(session)))
    workspace = session.exec(select(Workspace)).one()
    department = add_department(
        session=session,
        clock=slack.runtime.clock,
        workspace_id=workspace.id or 0,
        spec=DepartmentSpec(name="Finance", slack_channel_id=FINANCE_CHANNEL),
    )
    outcome = await _scheduler(slack).send_now(department_id=department.id or 0)
    await _answered(slack, BOB, outcome.delivery_id, BOB_ANSWER)
    await _eventually(lambda: any(c == f"D{ADA}" for c, _ in slack.fake.messages))
    await _answered(slack, ADA, outcome.delivery_id, ADA_ANSWER)
    await _tell(slack, "my-data", channel="C0PUBLIC1", key="mine")  # her file, in her DM
    await slack.platform.listeners.drain()
    assert [f["channel"] for f in slack.fake.files.values()] == [f"D{ADA}"]
    return workspace.id or 0


def _story_post(session: Session) -> str | None:
    session.expire_all()
    story = session.exec(select(Story).where(Story.shared == True)).first()  # noqa: E712
    session.commit()
    return story.channel_post_ref if story else None


def _shown_in_slack(slack: SlackHarness) -> str:
    """Everything Slack's channels and direct messages show now (ephemeral replies, seen
    once by the person who asked, are not kept by Slack)."""
    files = [f["content"].decode("utf-8", "replace") for f in slack.fake.files.values()]
    return json.dumps([list(slack.fake.messages.values()), files], ensure_ascii=False)


async def _erase(database_url: str, slack: SlackHarness, monkeypatch: Any) -> dict[str, Any]:
    monkeypatch.setenv("SIGHTLINE_DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SIGHTLINE_SLACK_API_URL", slack.fake.url)
    result = await asyncio.to_thread(
        runner.invoke, app, ["members", "erase", ADA, "--yes", "--json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)["erased"]
    return payload


@pytest.mark.usefixtures("cli")
async def test_erase_leaves_nothing_of_the_member_in_the_database_or_in_slack(
    slack: SlackHarness,
    session: Session,
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ws = await _story_world(slack, session)
    session.add(
        WorkspaceDataPolicy(
            workspace_id=ws,
            erased_stories=ErasedStories.DELETE,
            updated_at=slack.runtime.clock.now(),
        )
    )
    session.commit()
    shown = _shown_in_slack(slack)
    assert all(word in shown for word in ("Quaggafrost", "Vexbridge"))  # before: all there

    report = await _erase(database_url, slack, monkeypatch)

    assert report == {
        "stories_deleted": 2,
        "stories_kept_anonymously": 0,
        "answers": 1,
        "engagement": 0,
        "not_relevant_marks": 0,
        "chat_posts_changed": 5,  # story post, prompt card, her answer, the DM to her, her file
        "chat_posts_left": 0,
    }
    shown = _shown_in_slack(slack)
    for word in ADA_WORDS:
        assert word not in shown, f"{word!r} still shown in Slack"
    assert BOB_ANSWER.split()[0] in shown  # Bob's answer stays in the thread
    session.expire_all()
    assert session.exec(select(Member).where(Member.platform_user_id == ADA)).first() is None
    assert [a.text for a in session.exec(select(PromptAnswer))] == [BOB_ANSWER]
    # The rollups moved with the rows: no story is counted any more.
    assert session.exec(select(func.coalesce(func.sum(StoryDay.n), 0))).one() == 0
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "member.erased"))
    assert event.subject_id is None
    assert event.detail["stories_deleted"] == 2
    session.close()
    engine.dispose()
    slack.runtime.engine.dispose()
    slack.platform.inbox.engine.dispose()  # the inbox's own file checkpoints its log too
    if database_url.startswith("sqlite"):
        stored = sqlite_bytes(database_url)
        for word in ADA_WORDS:
            assert word.encode() not in stored, f"{word!r} still in the database file"
            assert word.casefold().encode() not in stored, f"{word!r} still in the search index"


@pytest.mark.usefixtures("cli")
async def test_erase_keeps_shared_stories_anonymously_when_the_workspace_chose_so(
    slack: SlackHarness,
    session: Session,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _story_world(slack, session)

    report = await _erase(database_url, slack, monkeypatch)

    assert (report["stories_deleted"], report["stories_kept_anonymously"]) == (1, 1)
    session.expire_all()
    [kept] = session.exec(select(Story)).all()
    assert kept.text == SHARED
    assert (kept.author_member_id, kept.permalink, kept.source_ref) == (None, None, None)
    shown = _shown_in_slack(slack)
    assert "Quaggafrost" in shown  # the story stays, as a colleague's
    for word in ("Wobblethorpe", "Vexbridge", ADA):
        assert word not in shown, f"{word!r} still shown in Slack"
    assert kept.created_at.tzinfo == UTC
