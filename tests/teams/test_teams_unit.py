"""The Teams bot's handler logic through botbuilder's TestAdapter: no HTTP, a real database.

The TestAdapter runs the real `SightlineTeamsBot` turn by turn and buffers what it sends, so
these tests read the cards a person would see and the rows the turn left behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
)
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.app import build_sightline
from bot.teams import TeamsPlatform
from stories.clock import FixedClock
from stories.models import SourceKind, Story
from tests.teams.test_teams_bot import teams_settings

Inspector = Callable[[Activity, str], None]


@pytest.fixture
def adapter(engine: Engine, clock: FixedClock) -> TestAdapter:
    """The app's own Teams bot, in a personal chat with one user."""
    sightline = build_sightline(teams_settings(), engine=engine, clock=clock)
    [platform] = sightline.platforms
    assert isinstance(platform, TeamsPlatform)
    personal = Activity(
        channel_id="test",
        service_url="https://test.com",
        from_property=ChannelAccount(id="user1", name="User1"),
        recipient=ChannelAccount(id="bot", name="Bot"),
        conversation=ConversationAccount(id="Convo1", conversation_type="personal"),
    )
    return TestAdapter(platform.bot.on_turn, template_or_conversation=personal)


def texts(node: Any) -> str:
    """Every TextBlock's text and FactSet title in a card, one per line."""
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "TextBlock" else []
        own += [fact["title"] for fact in node.get("facts", [])]
        return "\n".join(own + [texts(v) for k, v in node.items() if k != "text"]).strip()
    if isinstance(node, list):
        return "\n".join(texts(item) for item in node).strip()
    return ""


def card_showing(*fragments: str, absent: tuple[str, ...] = ()) -> Inspector:
    """A TestFlow inspector: the reply is one Adaptive Card showing every fragment."""

    def inspect(reply: Activity, description: str = "") -> None:
        [attachment] = reply.attachments
        assert attachment.content_type == "application/vnd.microsoft.card.adaptive"
        shown = texts(attachment.content)
        for fragment in fragments:
            assert fragment in shown, f"{fragment!r} not in card: {shown}"
        for fragment in absent:
            assert fragment not in shown, f"{fragment!r} in card: {shown}"

    return inspect


HELP = card_showing("story <what happened>", "search <words>", "random", "help")


def stories(engine: Engine) -> list[tuple[str, SourceKind]]:
    with Session(engine) as session:
        return [(s.text, s.source_kind) for s in session.exec(select(Story))]


@pytest.mark.parametrize("text", ["hello", "what can you do?", "help", "HELP"])
async def test_unknown_text_and_help_show_the_commands(adapter: TestAdapter, text: str) -> None:
    await adapter.test(text, HELP)


@pytest.mark.parametrize(
    "text",
    [
        "storytime was great today",
        "stories about refunds",
        "searchlight broke again",
        "randomly, a customer called",
    ],
)
async def test_commands_match_whole_words_only(
    adapter: TestAdapter, engine: Engine, text: str
) -> None:
    await adapter.test(text, HELP)
    assert stories(engine) == []


async def test_command_word_is_case_insensitive_and_the_story_is_kept_as_written(
    adapter: TestAdapter, engine: Engine
) -> None:
    text = "The invoice export saved Ana a whole day of retyping"
    await adapter.test(f"Story {text}", card_showing("Story saved", text))
    assert stories(engine) == [(text, SourceKind.TEAMS_MESSAGE)]


async def test_story_without_text_offers_the_form(adapter: TestAdapter, engine: Engine) -> None:
    await adapter.test(
        "story", card_showing("What happened to the customer?", absent=("Story saved",))
    )
    assert stories(engine) == []


async def test_search_with_no_results_says_so(adapter: TestAdapter) -> None:
    flow = await adapter.test(
        "story The courier left the parcel in the rain and it was ruined",
        card_showing("Story saved"),
    )
    await flow.test(
        "search invoice",
        card_showing("No stories match “invoice”.", absent=("courier",)),
    )


async def test_search_finds_word_forms(adapter: TestAdapter) -> None:
    flow = await adapter.test(
        "story Her refund arrived three weeks late", card_showing("Story saved")
    )
    await flow.test("search refunds", card_showing("Her refund arrived three weeks late"))


async def test_random_with_no_story_invites_one(adapter: TestAdapter) -> None:
    await adapter.test("random", card_showing("No stories yet", "story <what happened>"))


async def test_random_in_a_personal_chat_may_show_the_tellers_own_private_story(
    adapter: TestAdapter,
) -> None:
    # Told in a personal chat, the story is private to its teller, who may read it there.
    flow = await adapter.test(
        "story A private note about a customer who waited on hold", card_showing("Story saved")
    )
    await flow.test("random", card_showing("waited on hold"))
