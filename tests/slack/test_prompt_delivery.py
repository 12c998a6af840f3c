"""Posting prompts to Slack at scale: one shared allowance, retries that never repeat a post.

Against the local fake Slack Web API (real HTTP), with the real slack_sdk client and its
retry handlers (`bot.slack.transport`), and senders sharing a real database.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import Engine
from sqlmodel import Session

from bot.database import create_db_engine
from bot.runtime import build_runtime
from bot.settings import load_settings
from bot.slack.platform import shared_allowance
from bot.slack.transport import build_web_client
from handlers.slack.sender import SlackPromptSender, transient
from stories.post_allowance import reserve_slot
from stories.prompts import PromptMessage
from tests.fakes.slack_api import TEAM_ID, FakeSlackAPI

OCCURRENCE = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)


def message(delivery_id: int, channel: str) -> PromptMessage:
    return PromptMessage(
        delivery_id=delivery_id,
        workspace_id=1,
        workspace_external_id=TEAM_ID,
        platform="slack",
        destination=channel,
        department_id=delivery_id,
        department_name=f"Team {delivery_id}",
        occurrence_at=OCCURRENCE,
        question="How does your work touch this customer?",
        question_key="general-1",
        story_id=1,
        story_text="A customer was charged twice for one order.",
    )


def sender_for(fake: FakeSlackAPI, **options: object) -> SlackPromptSender:
    settings = load_settings(_env_file=None, slack_api_url=fake.url)
    client = build_web_client(settings, token="xoxb-test")

    async def client_for(_workspace: str) -> AsyncWebClient:
        return client

    return SlackPromptSender(client_for, backoff=0.01, **options)  # type: ignore[arg-type]


@pytest.fixture
def second_engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


async def test_two_replicas_share_one_workspace_rate_with_no_share_configured(
    database_url: str, engine: Engine, second_engine: Engine
) -> None:
    # Both replicas read the same setting, the whole workspace's rate: no 1/N share.
    settings = load_settings(_env_file=None, database_url=database_url, slack_post_rate=20)
    channels = 30
    async with FakeSlackAPI(clock=time.time) as fake:
        fake.enforce_rate("chat.postMessage", 20)  # Slack answers 429 beyond the rate
        replicas = [
            sender_for(fake, allowance=shared_allowance(build_runtime(settings, engine=e)))
            for e in (engine, second_engine)
        ]
        await asyncio.gather(
            *(replicas[n % 2].send_prompt(message=message(n, f"C{n:04d}")) for n in range(channels))
        )
        rejected = fake.ceilings["chat.postMessage"].rejected
        posted = Counter(channel for channel, _ts in fake.messages)
    assert len(posted) == channels
    assert set(posted.values()) == {1}
    assert rejected == 0  # together at the rate, never over it


def test_slots_are_reserved_one_interval_apart_across_replicas(
    engine: Engine, second_engine: Engine
) -> None:
    now, interval = 1_800_000_000.0, 0.05

    def reserve(on: Engine, key: str = "slack:T1") -> float:
        with Session(on) as session:
            return reserve_slot(session=session, key=key, now=now, interval=interval)

    # Forty posts reserved at the same instant by two replicas, from eight threads.
    with ThreadPoolExecutor(max_workers=8) as pool:
        slots = sorted(pool.map(reserve, [engine, second_engine] * 20))
    assert slots == pytest.approx([now + n * interval for n in range(40)])
    assert reserve(engine, "slack:T2") == now  # another workspace has its own allowance
    later = now + 100  # an idle allowance starts again from now, not from its old slots
    with Session(engine) as session:
        assert reserve_slot(session=session, key="slack:T1", now=later, interval=interval) == later


async def test_a_post_answered_503_is_checked_for_then_retried_once() -> None:
    async with FakeSlackAPI(clock=time.time) as fake:
        fake.server_error("chat.postMessage", 503)  # did not land
        sender = sender_for(fake)
        ref = await sender.send_prompt(message=message(7, "C0FIN"))
        assert sender.retries == 1
        # Before the retry the channel was searched for the post, which was not there.
        assert len(fake.calls_to("conversations.history")) == 1
        assert [key for key in fake.messages] == [("C0FIN", ref.partition(":")[2])]


async def test_a_post_that_landed_despite_a_500_is_never_repeated() -> None:
    async with FakeSlackAPI(clock=time.time) as fake:
        fake.server_error("chat.postMessage", 500, landed=True)
        sender = sender_for(fake)
        ref = await sender.send_prompt(message=message(8, "C0FIN"))
        [(channel, ts)] = list(fake.messages)  # one post
        assert ref == f"{channel}:{ts}"
        assert len(fake.calls_to("chat.postMessage")) == 1  # the client did not re-post


async def test_a_refusal_that_is_not_transient_fails_at_once() -> None:
    async with FakeSlackAPI(clock=time.time) as fake:
        fake.fail("chat.postMessage", "is_archived")
        sender = sender_for(fake)
        with pytest.raises(Exception, match="archived"):
            await sender.send_prompt(message=message(9, "C0FIN"))
        assert sender.retries == 0
        assert fake.calls_to("conversations.history") == []


async def test_the_recovery_check_pages_through_everything_since_the_occurrence() -> None:
    async with FakeSlackAPI(clock=time.time) as fake:
        sender = sender_for(fake)
        prompt = message(10, "C0BUSY")
        ref = await sender.send_prompt(message=prompt)
        for n in range(450):  # a busy channel: the prompt is far behind the newest 200
            fake.add_message("C0BUSY", f"{int(time.time()) + 60}.{n:06d}", user="U1", text="hi")
        assert await sender.find_sent(message=prompt) == ref
        pages = fake.calls_to("conversations.history")
        assert len(pages) == 3
        assert {p.params["oldest"] for p in pages} == {f"{OCCURRENCE.timestamp() - 60:.6f}"}
        assert await sender.find_sent(message=message(11, "C0BUSY")) is None  # never posted


async def test_other_calls_are_retried_on_5xx_by_the_client_but_posts_are_not() -> None:
    async with FakeSlackAPI(clock=time.time) as fake:
        client = build_web_client(load_settings(_env_file=None, slack_api_url=fake.url), "x")
        fake.server_error("conversations.history", 503)
        assert (await client.conversations_history(channel="C1"))["ok"]
        assert len(fake.calls_to("conversations.history")) == 2
        fake.server_error("chat.postMessage", 503)
        with pytest.raises(SlackApiError) as refused:
            await client.chat_postMessage(channel="C1", text="x")
        assert len(fake.calls_to("chat.postMessage")) == 1
        assert transient(refused.value)
