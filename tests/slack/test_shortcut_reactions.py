"""Message shortcut, reaction capture and the stories channel's "This resonates"."""

from __future__ import annotations

import asyncio
import json

from sqlmodel import Session, select

from handlers.slack import blocks as kit
from stories.models import Department, Engagement, Member, SourceKind, Story
from tests.slack.conftest import STORIES_CHANNEL, SlackHarness, fixture
from tests.slack.test_capture import STORY, eventually_posted, stories, submission

MESSAGE_TS = "1790000000.000100"


async def test_shortcut_opens_prefilled_modal_and_credits_the_original_author(
    slack: SlackHarness, session: Session
) -> None:
    shortcut = fixture("message_action")
    await slack.interaction(shortcut)
    [opened] = await slack.fake.wait_for("views.open")
    view = opened["view"]
    initial = view["blocks"][0]["element"]["initial_value"]
    assert initial == shortcut["message"]["text"]
    metadata = json.loads(view["private_metadata"])
    assert metadata == {"channel": "C0PUBLIC1", "ts": MESSAGE_TS, "author": "U0CAROL01"}

    # Bob submits the modal Slack showed him, with the metadata it carried.
    payload = submission(text=initial, metadata=metadata, share=True)
    payload["user"] = shortcut["user"]
    await slack.interaction(payload)
    await slack.fake.wait_for("chat.postEphemeral")
    [story] = stories(session)
    assert story.source_kind is SourceKind.SHORTCUT
    assert story.source_ref == f"slack:C0PUBLIC1:{MESSAGE_TS}"
    assert story.permalink == (
        "https://sightline-test.slack.com/archives/C0PUBLIC1/p1790000000000100"
    )
    author = session.get(Member, story.author_member_id)
    captured_by = session.get(Member, story.captured_by_member_id)
    assert author is not None
    assert author.platform_user_id == "U0CAROL01"
    assert captured_by is not None
    assert captured_by.platform_user_id == "U0BOB0001"
    [link] = slack.fake.calls_to("chat.getPermalink")
    assert link["message_ts"] == MESSAGE_TS


async def test_shortcut_in_private_channel_is_not_shared_unless_ticked(
    slack: SlackHarness, session: Session
) -> None:
    slack.fake.add_channel("C0SECRET1", private=True)
    shortcut = fixture("message_action")
    shortcut["channel"] = {"id": "C0SECRET1", "name": "secret"}
    await slack.interaction(shortcut)
    [opened] = await slack.fake.wait_for("views.open")
    metadata = json.loads(opened["view"]["private_metadata"])
    await slack.interaction(submission(metadata=metadata, share=False))
    await slack.fake.wait_for("chat.postEphemeral")
    await asyncio.sleep(0.1)
    [story] = stories(session)
    assert story.channel_private
    assert not story.shared
    assert slack.fake.calls_to("chat.postMessage") == []


async def test_private_story_is_posted_when_its_teller_chooses_to_share(
    slack: SlackHarness, session: Session
) -> None:
    slack.fake.add_channel("C0SECRET1", private=True)
    metadata = {"channel": "C0SECRET1", "ts": MESSAGE_TS, "author": "U0CAROL01", "private": True}
    await slack.interaction(submission(metadata=metadata, share=True))
    [post] = await slack.fake.wait_for("chat.postMessage")
    assert post["channel"] == STORIES_CHANNEL
    story = await eventually_posted(session)
    assert story.channel_private
    assert story.shared


def reaction(user: str, event_id: str, *, emoji: str = "customer-story") -> dict[str, object]:
    payload = fixture("reaction_added")
    payload["event"]["user"] = user
    payload["event"]["reaction"] = emoji
    payload["event_id"] = event_id
    return payload


async def test_reaction_saves_once_however_many_react_and_replies_in_thread_once(
    slack: SlackHarness, session: Session
) -> None:
    slack.fake.add_message("C0PUBLIC1", MESSAGE_TS, user="U0CAROL01", text=STORY)
    responses = await asyncio.gather(
        *(slack.event(reaction(user, f"Ev{n}")) for n, user in enumerate(["U1", "U2", "U3"])),
        slack.event(reaction("U1", "Ev0"), retry=1),  # Slack retrying the first delivery
        slack.event(reaction("U1", "Ev0"), retry=2),
    )
    assert [resp.status_code for resp in responses] == [200] * 5
    await slack.fake.wait_for("chat.postMessage", 2)  # thread reply + stories channel
    await asyncio.sleep(0.3)
    [story] = stories(session)
    assert story.source_ref == f"slack:C0PUBLIC1:{MESSAGE_TS}"
    assert story.source_kind is SourceKind.REACTION
    author = session.get(Member, story.author_member_id)
    assert author is not None
    assert author.platform_user_id == "U0CAROL01"
    posts = slack.fake.calls_to("chat.postMessage")
    threads = [p for p in posts if p.params.get("thread_ts") == MESSAGE_TS]
    channel_posts = [p for p in posts if p["channel"] == STORIES_CHANNEL]
    assert len(threads) == 1
    assert threads[0]["channel"] == "C0PUBLIC1"
    assert len(channel_posts) == 1


async def test_other_emoji_are_ignored(slack: SlackHarness, session: Session) -> None:
    slack.fake.add_message("C0PUBLIC1", MESSAGE_TS, user="U0CAROL01", text=STORY)
    response = await slack.event(reaction("U1", "EvX", emoji="thumbsup"))
    assert response.status_code == 200
    await asyncio.sleep(0.2)
    assert stories(session) == []
    assert slack.fake.calls_to("conversations.history") == []


async def test_configured_emoji_is_used(make_harness: object, session: Session) -> None:
    harness: SlackHarness = await make_harness(slack_reaction_emoji=":star-story:")  # type: ignore[operator]
    harness.fake.add_message("C0PUBLIC1", MESSAGE_TS, user="U0CAROL01", text=STORY)
    await harness.event(reaction("U1", "EvA", emoji="customer-story"))
    await harness.event(reaction("U1", "EvB", emoji="star-story"))
    await harness.fake.wait_for("chat.postMessage")
    [story] = stories(session)
    assert story.source_kind is SourceKind.REACTION


async def test_resonates_counts_once_per_member_and_updates_the_post(
    slack: SlackHarness, session: Session
) -> None:
    await slack.command(STORY)
    story = await eventually_posted(session)
    assert story.channel_post_ref is not None
    channel, ts = story.channel_post_ref.split(":")
    department = Department(
        workspace_id=story.workspace_id,
        name="Finance",
        name_key="finance",
        created_at=story.created_at,
    )
    session.add(department)
    session.commit()

    def click(user: str) -> dict[str, object]:
        payload = fixture("block_actions")
        payload["user"]["id"] = user
        payload["container"].update(message_ts=ts, channel_id=channel)
        payload["actions"][0]["value"] = str(story.id)
        return payload

    await slack.interaction(click("U0DAN0001"))
    await slack.fake.wait_for("chat.update")
    dan = session.exec(select(Member).where(Member.platform_user_id == "U0DAN0001")).one()
    dan.department_id = department.id
    session.add(dan)
    session.commit()
    for engagement in session.exec(select(Engagement)):
        engagement.department_id = department.id
        session.add(engagement)
    session.commit()
    await asyncio.gather(
        slack.interaction(click("U0DAN0001")), slack.interaction(click("U0EVE0001"))
    )
    await slack.fake.wait_for("chat.update", 2)
    await asyncio.sleep(0.3)
    session.expire_all()
    engagements = list(session.exec(select(Engagement).where(Engagement.story_id == story.id)))
    assert len(engagements) == 2
    updates = slack.fake.calls_to("chat.update")
    assert len(updates) == 2  # the repeat click by Dan changed nothing
    last = updates[-1]
    assert (last["channel"], last["ts"]) == (channel, ts)
    button = next(
        e
        for b in last["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == kit.RESONATES_ACTION
    )
    assert button["text"]["text"].endswith("(2)")
    assert "Finance 1" in json.dumps(last["blocks"])


async def test_story_source_is_unique_even_across_retries_in_the_database(
    slack: SlackHarness, session: Session
) -> None:
    # The in-process dedupe is bypassed by a new event id; the unique source_ref still holds.
    slack.fake.add_message("C0PUBLIC1", MESSAGE_TS, user="U0CAROL01", text=STORY)
    await asyncio.gather(*(slack.event(reaction("U9", f"Ev-new-{n}")) for n in range(4)))
    await slack.fake.wait_for("chat.postMessage", 2)
    await asyncio.sleep(0.3)
    assert len(list(session.exec(select(Story)))) == 1
    assert (
        len([p for p in slack.fake.calls_to("chat.postMessage") if p.params.get("thread_ts")]) == 1
    )
