"""`/cx summary`, `/cx export` and the leads' digest in Slack, against the fake Web API."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image
from sqlmodel import Session, col, select

from bot.scheduler import PromptScheduler
from handlers.slack.blocks import MESSAGE_BLOCK_LIMIT, SECTION_TEXT_LIMIT, block_dicts
from handlers.slack.summary_blocks import summary_blocks
from stories.clock import FixedClock
from stories.departments import DepartmentSpec, add_department
from stories.digest import DIGEST_KIND, NOTICE_KIND
from stories.models import DeliveryStatus, PromptDelivery, Workspace
from stories.summaries import DepartmentSummary, ThemeSummary, compare
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.conftest import SlackHarness

LEAD = "U0LEAD001"
LEADS_CHANNEL = "C0LEADS01"


async def cx(slack: SlackHarness, text: str, *, user: str = LEAD, key: str) -> dict[str, Any]:
    return await slack.cx(text, user=user, key=key)


async def _stories(slack: SlackHarness, clock: FixedClock, *texts: str) -> None:
    for i, text in enumerate(texts):
        key = f"story{i}"
        answered = len(slack.fake.calls_to("response_url")) + 1
        posted = len(slack.fake.calls_to("chat.postMessage")) + 1
        await slack.command(text, response_key=key)
        await slack.fake.wait_for("response_url", answered)
        await slack.fake.wait_for("chat.postMessage", posted)  # the stories channel post
    clock.advance(minutes=5)  # periods end at "now", exclusive


def _posts_to(slack: SlackHarness, channel: str) -> list[Any]:
    """Posts to ``channel`` (or, for a prefix like "D", to any channel starting with it)."""
    return [
        c for c in slack.fake.calls_to("chat.postMessage") if str(c["channel"]).startswith(channel)
    ]


def _png(content: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(content))
    image.load()
    return image


# ---- /cx summary ------------------------------------------------------------------------------


async def test_lead_gets_the_summary_and_its_chart_in_a_direct_message(
    make_harness: Any, clock: FixedClock
) -> None:
    slack: SlackHarness = await make_harness(cx_leads=LEAD)
    await _stories(
        slack,
        clock,
        "The refund took three weeks and nobody told me why.",
        "Our invoice was wrong twice and the refund was late again.",
    )
    slack.fake.reset_calls()

    answer = await cx(slack, "summary 7d", key="summary")

    assert answer["response_type"] == "ephemeral"
    assert "Sent you the summary (last 7 days)" in answer["text"]
    [opened] = slack.fake.calls_to("conversations.open")
    assert opened["users"] == LEAD
    [post] = _posts_to(slack, f"D{LEAD}")
    blocks = post.json["blocks"] if post.json else json.loads(post["blocks"])
    assert blocks[0]["text"]["text"] == "CX summary, last 7 days"
    fields = [f["text"] for f in blocks[2]["fields"]]
    assert fields[0].startswith("*Stories captured*\n↑ 2 (up 2 from 0)")
    [uploaded] = slack.fake.files.values()
    assert uploaded["channel"] == f"D{LEAD}"
    assert uploaded["filename"].startswith("sightline-summary-")
    assert uploaded["filename"].endswith(".png")
    assert uploaded["length"] == len(uploaded["content"])
    image = _png(uploaded["content"])
    assert image.width > 400
    assert image.height > 200
    low, high = image.convert("L").getextrema()
    assert high - low > 50  # not blank


async def test_summary_for_one_department_and_an_empty_period(
    make_harness: Any, clock: FixedClock, session: Session
) -> None:
    slack: SlackHarness = await make_harness(cx_leads=LEAD)
    await cx(slack, "departments", key="first")  # the first command creates the workspace
    ws = session.exec(select(Workspace)).one()
    add_department(
        session=session,
        clock=clock,
        workspace_id=ws.id or 0,
        spec=DepartmentSpec(name="Finance", slack_channel_id="C0FIN0001"),
    )
    slack.fake.reset_calls()

    answer = await cx(slack, "summary 2025-01-01..2025-01-31 Finance", key="one")

    assert "Sent you the summary (2025-01-01 to 2025-01-31)" in answer["text"]
    [post] = _posts_to(slack, f"D{LEAD}")
    blocks = post.json["blocks"] if post.json else json.loads(post["blocks"])
    assert blocks[0]["text"]["text"] == "CX summary, 2025-01-01 to 2025-01-31 · Finance"
    assert "Nothing to summarise yet" in blocks[-1]["text"]["text"]
    assert slack.fake.files == {}  # no chart of nothing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("summary 15d", "is not a period"),
        ("summary 2026-02-30..2026-03-01", "is not a real date"),
        ("summary 7d Nowhere", "Nowhere"),
        ("export 7d xlsx", "neither a period"),
    ],
)
async def test_bad_summary_and_export_requests_are_explained(
    make_harness: Any, text: str, expected: str
) -> None:
    slack: SlackHarness = await make_harness(cx_leads=LEAD)
    answer = await cx(slack, text, key="bad")
    assert answer["text"].startswith("⚠️")
    assert expected in answer["text"]
    assert _posts_to(slack, f"D{LEAD}") == []
    assert slack.fake.files == {}


@pytest.mark.parametrize("text", ["summary 90d", "export 30d"])
async def test_only_leads_see_numbers(
    make_harness: Any, clock: FixedClock, fake_slack: FakeSlackAPI, text: str
) -> None:
    slack: SlackHarness = await make_harness(cx_leads=LEAD, slack_admins_are_cx_leads=False)
    await _stories(slack, clock, "The refund took three weeks and nobody told me why.")
    slack.fake.reset_calls()
    answer = await cx(slack, text, user="U0ALICE01", key="nope")
    assert "is for CX leads" in answer["text"]
    assert "blocks" not in answer
    assert _posts_to(slack, "D") == []
    assert slack.fake.calls_to("conversations.open") == []
    assert fake_slack.files == {}


def test_summary_blocks_stay_within_slack_limits() -> None:
    """200 departments and long themes still make one valid message."""
    from stories.periods import Period
    from stories.summaries import SiloIndex, Summary, WeeklySeries

    now = datetime(2026, 11, 2, 9, tzinfo=UTC)
    period = Period(start=now - timedelta(days=30), end=now, label="last 30 days")
    flat = compare(1, 1)
    silo = SiloIndex(engagement=flat, answers=flat, overall=flat, engagement_rows=1, answer_rows=1)
    summary = Summary(
        workspace_id=1,
        workspace_name="Acme & Co <Holdings>",
        department=None,
        period=period,
        previous=period.previous(),
        generated_at=now,
        stories=compare(1000, 900),
        by_source=(),
        by_touchpoint=(),
        themes=tuple(
            ThemeSummary(
                phrase=f"theme {i} " + "x" * 200,
                count=compare(i, 1),
                example_story_id=i,
                example_text="A very long story. " * 300,
            )
            for i in range(40)
        ),
        themes_sampled=True,
        emotions=(),
        emotions_inferred=0,
        emotions_sampled=False,
        prompts_sent=flat,
        answers=flat,
        response_rate=compare(0.5, 0.25),
        participation=compare(None, 0.5),
        departments=tuple(
            DepartmentSummary(
                department_id=i,
                name=f"Department {i} " + "y" * 150,
                members=i,
                prompts_delivered=flat,
                prompts_answered=flat,
                answers=flat,
                answering_members=flat,
                response_rate=compare(i / 200, None),
                participation=flat,
            )
            for i in range(200)
        ),
        silent_departments=tuple(f"Dept {i}" for i in range(200)),
        most_resonated=(),
        silo=silo,
        weekly=WeeklySeries(weeks=(), week_starts=(), series=()),
    )
    blocks = block_dicts(summary_blocks(summary, chart_note="chart"))  # validates limits
    assert len(blocks) <= MESSAGE_BLOCK_LIMIT
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    assert all(len(t) <= SECTION_TEXT_LIMIT for t in texts)
    assert "Acme &amp; Co &lt;Holdings&gt;" in str(blocks[1])
    everything = "\n".join(texts)
    departments = everything[everything.index("*Departments*") :]
    assert departments.index("Department 0 ") < departments.index("Department 1 ")  # lowest first
    assert "…and 188 more departments" in departments
    assert dataclasses.replace(summary, themes=()).themes == ()


# ---- /cx export -------------------------------------------------------------------------------


async def test_export_uploads_stories_answers_and_engagement(
    make_harness: Any, clock: FixedClock
) -> None:
    slack: SlackHarness = await make_harness(cx_leads=LEAD)
    await _stories(slack, clock, 'The refund form said "=SUM(A1)" and then crashed on me.')
    slack.fake.reset_calls()

    answer = await cx(slack, "export 7d", key="export")

    assert "Sent you the export (last 7 days, csv)" in answer["text"]
    uploads = {f["filename"]: f for f in slack.fake.files.values()}
    assert len(uploads) == 3
    assert {f["channel"] for f in uploads.values()} == {f"D{LEAD}"}
    stories_file = next(f for name, f in uploads.items() if "stories" in name)
    content: bytes = stories_file["content"]
    assert content.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheets read UTF-8 correctly
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert "SUM(A1)" in rows[0]["text"]
    [complete] = slack.fake.calls_to("files.completeUploadExternal")
    assert "Sightline export, last 7 days: 1 rows in" in complete["initial_comment"]


# ---- the leads' channel ---------------------------------------------------------------------


def _scheduler(slack: SlackHarness) -> PromptScheduler:
    # The app's own sender: the one its listeners use, built once.
    return PromptScheduler(slack.runtime, slack.sightline.senders, instance="test")


def _ledger(session: Session, kind: str) -> list[PromptDelivery]:
    session.expire_all()
    query = select(PromptDelivery).where(PromptDelivery.kind == kind)
    rows = list(session.exec(query.order_by(col(PromptDelivery.id))))
    session.commit()
    return rows


async def test_weekly_digest_reaches_the_leads_channel_once_with_its_chart(
    make_harness: Any, clock: FixedClock, session: Session
) -> None:
    slack: SlackHarness = await make_harness(
        leads_slack_channel=LEADS_CHANNEL,
        digest_days="mon",
        digest_time="09:30",
        digest_timezone="UTC",
    )
    await _stories(slack, clock, "The refund took three weeks and nobody told me why.")
    slack.fake.reset_calls()
    scheduler = _scheduler(slack)

    clock.advance(minutes=30)  # Monday 09:35
    await scheduler.sweep_once()
    clock.advance(minutes=10)
    await scheduler.sweep_once()

    [post] = _posts_to(slack, LEADS_CHANNEL)
    blocks = post.json["blocks"] if post.json else json.loads(post["blocks"])
    assert blocks[0]["text"]["text"] == "CX summary, last 7 days"
    assert post["text"].startswith("Weekly digest")
    [chart] = slack.fake.files.values()
    assert chart["channel"] == LEADS_CHANNEL
    assert _png(chart["content"]).width > 400
    [row] = _ledger(session, DIGEST_KIND)
    assert row.status is DeliveryStatus.SENT
    assert (row.message_ref or "").startswith(f"{LEADS_CHANNEL}:")


async def test_a_prompt_that_cannot_be_delivered_is_reported_to_the_leads(
    make_harness: Any, clock: FixedClock, session: Session
) -> None:
    slack: SlackHarness = await make_harness(
        leads_slack_channel=LEADS_CHANNEL, digest_enabled=False
    )
    await _stories(slack, clock, "The refund took three weeks and nobody told me why.")
    ws = session.exec(select(Workspace)).one()
    add_department(
        session=session,
        clock=clock,
        workspace_id=ws.id or 0,
        spec=DepartmentSpec(
            name="Finance",
            slack_channel_id="C0FIN0001",
            timezone="UTC",
            prompt_time="09:10",
            prompt_days="mon",
        ),
    )
    session.commit()
    slack.fake.fail("chat.postMessage", "is_archived")
    scheduler = _scheduler(slack)

    clock.advance(minutes=10)
    await scheduler.sweep_once()
    await scheduler.sweep_once()

    notices = _posts_to(slack, LEADS_CHANNEL)
    assert len(notices) == 1
    assert "Finance" in notices[0]["text"]
    assert "archived" in notices[0]["text"]
    [row] = _ledger(session, NOTICE_KIND)
    assert row.status is DeliveryStatus.SENT
