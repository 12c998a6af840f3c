"""Private means private, on every surface (issue 14, item 4): a table over every place
Sightline shows stories, driven end to end through Slack's real endpoints and the fake Web
API. Private stories count in every number; their text reaches their teller and a CX lead's
own export in their direct message, and nothing else. Teams renders the same view models
(tests/test_summary_privacy.py renders every summary surface of both platforms)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlmodel import Session, select

from bot.scheduler import PromptScheduler
from stories.clock import FixedClock
from stories.exports import export_files
from stories.models import Engagement, EngagementKind, Member, Story
from stories.periods import parse_period
from stories.visibility import Viewer
from tests.slack.conftest import SlackHarness

LEAD = "U0LEAD001"
LEADS_CHANNEL = "C0LEADS01"
TELLER = "U0ALICE01"
BOB = "U0BOB0001"
SECRET = "glovebox recall"  # the private stories' own words
PRIVATE = (
    "Private: the glovebox recall letter never reached Mrs Tan and she drove for a month.",
    "Private again: a second glovebox recall letter went to the old address of Mr Okafor.",
)
SHARED = (
    "The refund portal timed out twice and the customer gave up on the refund.",
    "Another refund was late because the refund portal lost the bank details.",
)

# surface -> whether a private story's text may appear there, and why
MATRIX = {
    "stories channel": (False, "a channel"),
    "search by the teller, answered to them alone in a channel": (True, "their own story"),
    "search by the teller, in their DM": (True, "their own story"),
    "search by someone else, answered to them alone in a channel": (False, "not theirs"),
    "search by someone else, in their DM": (False, "not their story"),
    "/cx summary (themes, examples, most resonated)": (False, "summaries are posted in channels"),
    "weekly digest in the leads' channel": (False, "a channel"),
    "/cx export in the lead's own DM": (True, "the data steward's own export"),
    "export for anyone (a shared place)": (False, "the same rule, asked for a shared place"),
}


async def _tell(slack: SlackHarness, text: str, *, channel: str, key: str) -> None:
    answered = len(slack.fake.calls_to("response_url")) + 1
    name = "directmessage" if channel.startswith("D") else "support"
    await slack.command(text, user=TELLER, channel=channel, channel_name=name, response_key=key)
    await slack.fake.wait_for("response_url", answered)


async def _ask(slack: SlackHarness, text: str, *, user: str, channel: str, key: str) -> str:
    answered = len(slack.fake.calls_to("response_url")) + 1
    name = "directmessage" if channel.startswith("D") else "support"
    await slack.command(text, user=user, channel=channel, channel_name=name, response_key=key)
    calls = await slack.fake.wait_for("response_url", answered)
    return json.dumps(calls[-1].json, ensure_ascii=False)


def _posts(slack: SlackHarness, channel: str) -> str:
    posts = [c for c in slack.fake.calls_to("chat.postMessage") if c["channel"] == channel]
    return json.dumps([c.params for c in posts], ensure_ascii=False, default=str)


def _resonate_with_private(session: Session, clock: FixedClock) -> None:
    """Three people resonate with a private story (it would top "most resonated")."""
    story = session.exec(select(Story).where(Story.shared == False)).first()  # noqa: E712
    assert story is not None
    for n in range(3):
        member = Member(
            workspace_id=story.workspace_id,
            platform_user_id=f"U0FAN000{n}",
            display_name=f"fan {n}",
            created_at=clock.now(),
        )
        session.add(member)
        session.flush()
        session.add(
            Engagement(
                workspace_id=story.workspace_id,
                story_id=story.id or 0,
                member_id=member.id or 0,
                kind=EngagementKind.RESONATES,
                created_at=clock.now(),
            )
        )
    session.commit()


async def _surfaces(slack: SlackHarness, clock: FixedClock, session: Session) -> dict[str, str]:
    surfaces = {"stories channel": _posts(slack, "C0STORIES")}
    for who, user, dm in (("the teller", TELLER, "D0ALICE01"), ("someone else", BOB, "D0BOB0001")):
        surfaces[f"search by {who}, answered to them alone in a channel"] = await _ask(
            slack, "search glovebox", user=user, channel="C0PUBLIC1", key=f"{user}-c"
        )
        surfaces[f"search by {who}, in their DM"] = await _ask(
            slack, "search glovebox", user=user, channel=dm, key=f"{user}-d"
        )
    await slack.cx("summary 7d", user=LEAD, key="summary")
    surfaces["/cx summary (themes, examples, most resonated)"] = _posts(slack, f"D{LEAD}")
    slack.fake.files.clear()
    await slack.cx("export 7d", user=LEAD, key="export")
    exported = [f for f in slack.fake.files.values() if "stories" in f["filename"]]
    assert {f["channel"] for f in exported} == {f"D{LEAD}"}
    surfaces["/cx export in the lead's own DM"] = exported[0]["content"].decode("utf-8-sig")
    clock.advance(minutes=30)  # Monday 09:35: the digest is due
    await PromptScheduler(slack.runtime, slack.sightline.senders, instance="t").sweep_once()
    surfaces["weekly digest in the leads' channel"] = _posts(slack, LEADS_CHANNEL)
    [anyone] = export_files(
        session=session,
        workspace_id=session.exec(select(Story)).first().workspace_id,  # type: ignore[union-attr]
        period=parse_period("7d", now=clock.now()),
        format="csv",
        what="stories",
        viewer=Viewer.anyone(),
    )
    surfaces["export for anyone (a shared place)"] = anyone.content.decode("utf-8-sig")
    return surfaces


async def test_private_text_reaches_the_teller_and_the_leads_own_export_only(
    make_harness: Any, clock: FixedClock, session: Session
) -> None:
    slack: SlackHarness = await make_harness(
        cx_leads=LEAD,
        leads_slack_channel=LEADS_CHANNEL,
        digest_days="mon",
        digest_time="09:30",
        digest_timezone="UTC",
    )
    for n, text in enumerate(PRIVATE):
        await _tell(slack, text, channel="D0ALICE01", key=f"p{n}")
    for n, text in enumerate(SHARED):
        await _tell(slack, text, channel="C0PUBLIC1", key=f"s{n}")
    await slack.fake.wait_for("chat.postMessage", len(SHARED))  # the stories channel posts
    _resonate_with_private(session, clock)
    clock.advance(minutes=5)

    surfaces = await _surfaces(slack, clock, session)

    assert set(surfaces) == set(MATRIX)
    for surface, (allowed, why) in MATRIX.items():
        shown = SECRET in surfaces[surface].casefold()
        assert shown is allowed, (
            f"{surface}: private text {'missing' if allowed else 'shown'} ({why})"
        )
    # Every surface that shows stories at all showed the shared ones.
    assert "refund portal" in surfaces["/cx summary (themes, examples, most resonated)"]
    assert "refund portal" in surfaces["weekly digest in the leads' channel"]
    assert "refund portal" in surfaces["export for anyone (a shared place)"]


async def test_private_stories_count_in_every_number_and_are_marked_in_the_export(
    make_harness: Any, clock: FixedClock, session: Session
) -> None:
    slack: SlackHarness = await make_harness(cx_leads=LEAD)
    for n, text in enumerate(PRIVATE):
        await _tell(slack, text, channel="D0ALICE01", key=f"p{n}")
    await _tell(slack, SHARED[0], channel="C0PUBLIC1", key="s0")
    clock.advance(minutes=5)

    await slack.cx("summary 7d", user=LEAD, key="summary")
    [post] = [c for c in slack.fake.calls_to("chat.postMessage") if c["channel"] == f"D{LEAD}"]
    blocks = post.json["blocks"] if post.json else json.loads(post["blocks"])
    fields = [f["text"] for f in blocks[2]["fields"]]
    assert fields[0].startswith("*Stories captured*\n↑ 3")  # two private, one shared

    await slack.cx("export 7d", user=LEAD, key="export")
    [stories_file] = [f for f in slack.fake.files.values() if "stories" in f["filename"]]
    rows = list(csv.DictReader(io.StringIO(stories_file["content"].decode("utf-8-sig"))))
    assert sorted(row["shared"] for row in rows) == ["no", "no", "yes"]
