"""Prometheus metrics for prompts and captures: read back from the runtime's registry."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.app import build_core
from bot.runtime import Runtime, build_runtime
from bot.scheduler import PromptScheduler
from bot.settings import load_settings
from bot.slack.transport import build_web_client
from stories.capture import StoryDraft, capture_story
from stories.clock import FixedClock
from stories.conversation import capture
from stories.conversation.capture import CaptureRequest
from stories.conversation.context import ChatContext, Place
from stories.departments import DepartmentSpec, add_department, get_department
from stories.errors import ValidationError
from stories.models import Platform, SourceKind
from stories.prompt_ledger import claim_occurrence
from stories.redaction import Redactor
from stories.workspaces import ensure_workspace
from tests.conftest import START
from tests.fakes.prompt_sender import RecordingSender
from tests.fakes.slack_api import FakeSlackAPI

TEN = START + timedelta(hours=1)


@pytest.fixture
def runtime(database_url: str, engine: Engine, clock: FixedClock) -> Runtime:
    return build_runtime(load_settings(database_url=database_url), engine=engine, clock=clock)


def sample(runtime: Runtime, name: str, **labels: str) -> float:
    return runtime.metrics.registry.get_sample_value(name, labels) or 0.0


async def test_deliveries_lateness_and_takeovers_are_counted(
    session: Session, clock: FixedClock, redactor: Redactor, runtime: Runtime
) -> None:
    ws = ensure_workspace(
        session=session, clock=clock, platform=Platform.SLACK, external_id="T1", name="Acme"
    )
    for name in ("Finance", "Legal"):
        add_department(
            session=session,
            clock=clock,
            workspace_id=ws.id or 0,
            spec=DepartmentSpec(
                name=name,
                slack_channel_id=f"C{name.upper()}",
                prompt_time="10:00",
                prompt_days="daily",
            ),
        )
    capture_story(
        session=session,
        clock=clock,
        redactor=redactor,
        draft=StoryDraft(
            workspace_id=ws.id or 0,
            text="The refund took a month and nobody said why.",
            source_kind=SourceKind.CLI,
            shared=True,
        ),
    )
    sender = RecordingSender(fail_destinations={"CLEGAL": "is_archived"})
    clock.advance(hours=1, seconds=2)  # two seconds after 10:00
    await PromptScheduler(runtime, {"slack": sender}, instance="a").sweep_once()
    assert sample(runtime, "sightline_prompt_deliveries_total", kind="prompt", status="sent") == 1
    assert sample(runtime, "sightline_prompt_deliveries_total", kind="prompt", status="failed") == 1
    assert sample(runtime, "sightline_prompt_lateness_seconds_count", kind="prompt") == 1
    assert sample(runtime, "sightline_prompt_lateness_seconds_sum", kind="prompt") == 2.0
    # A claim left by a dead replica, taken over after the lease.
    dept = get_department(session=session, workspace_id=ws.id or 0, name="Finance")
    claim_occurrence(
        session=session,
        clock=clock,
        department=dept,
        occurrence_at=TEN + timedelta(days=1),
        instance="dead",
    )
    clock.advance(minutes=1)
    await PromptScheduler(runtime, {"slack": sender}, instance="a").recover()
    assert sample(runtime, "sightline_prompt_takeovers_total") == 1


def test_chat_captures_are_counted_by_outcome(database_url: str, engine: Engine) -> None:
    runtime = build_runtime(load_settings(database_url=database_url), engine=engine)
    env = build_core(runtime)
    ctx = ChatContext(
        platform=Platform.SLACK,
        workspace="T1",
        user="U1",
        conversation="D1",
        place=Place.PERSONAL,
    )
    request = CaptureRequest(
        text="A customer waited three weeks for a refund we had approved.",
        source=SourceKind.SLASH,
        source_ref="slack:command:1",
    )
    capture.capture(env=env, ctx=ctx, request=request)
    capture.capture(env=env, ctx=ctx, request=request)  # Slack retried: the same source
    with pytest.raises(ValidationError):
        capture.capture(
            env=env,
            ctx=ctx,
            request=CaptureRequest(text="", source=SourceKind.SLASH, source_ref="slack:command:2"),
        )
    assert sample(runtime, "sightline_stories_captured_total", source="slash") == 1
    assert sample(runtime, "sightline_stories_duplicate_total", source="slash") == 1
    rejected = [
        s
        for metric in runtime.metrics.registry.collect()
        if metric.name == "sightline_captures_rejected"
        for s in metric.samples
        if s.name.endswith("_total")
    ]
    assert sum(s.value for s in rejected) == 1


async def test_slack_429s_are_counted(runtime: Runtime) -> None:
    async with FakeSlackAPI(clock=time.time) as fake:
        client = build_web_client(
            load_settings(_env_file=None, slack_api_url=fake.url),
            "xoxb-test",
            on_rate_limited=runtime.metrics.rate_limited.labels(platform="slack").inc,
        )
        fake.rate_limit("chat.postMessage", times=2, retry_after=0)
        assert (await client.chat_postMessage(channel="C1", text="hi"))["ok"]
    assert sample(runtime, "sightline_platform_rate_limited_total", platform="slack") == 2
