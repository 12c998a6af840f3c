"""The conformance suite: each behaviour written once, run against Slack and against Teams
through their real HTTP endpoints. A behaviour added to one platform and not the other
fails here. Platform-only behaviours (reactions, Socket Mode, file consent's protocol) are
tested beside each platform's own tests instead.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session, col, select

from stories.conversation.context import Place
from stories.models import (
    DashboardLink,
    DeliveryStatus,
    Engagement,
    Member,
    PromptDelivery,
    Story,
)
from tests.conformance.drivers import (
    LEAD,
    Driver,
    SlackDriver,
    TeamsDriver,
    latest_delivery,
)

STORY = "Ana (ana@example.com, +44 7911 123456) waited three weeks for her refund"


def stories(chat: Driver) -> list[Story]:
    with Session(chat.engine) as session:
        return list(session.exec(select(Story).order_by(col(Story.id))))


def member_of(chat: Driver, member_id: int | None) -> Member | None:
    with Session(chat.engine) as session:
        return session.get(Member, member_id) if member_id else None


def story_id(chat: Driver, fragment: str) -> int:
    [found] = [s for s in stories(chat) if fragment in s.text]
    assert found.id is not None
    return found.id


async def test_capture_masks_personal_data_everywhere(chat: Driver) -> None:
    seen = await chat.tell("ana", STORY, place=Place.PUBLIC)
    assert "Story saved" in seen
    assert "[email]" in seen
    assert "2 personal details were masked" in seen
    [story] = stories(chat)
    assert story.text == "Ana ([email], [phone]) waited three weeks for her refund"
    assert chat.pings(("ana@example.com", "7911 123456")) == []  # nothing sent carries them


async def test_a_message_saved_from_someone_else_credits_them_and_links_back(
    chat: Driver,
) -> None:
    seen = await chat.save_message(
        "ben",
        author="carol",
        text="The courier left her parcel in the rain and it was ruined",
        message="m-100",
        place=Place.PUBLIC,
    )
    assert "Story saved" in seen
    [story] = stories(chat)
    teller, saver = (
        member_of(chat, story.author_member_id),
        member_of(chat, story.captured_by_member_id),
    )
    assert teller is not None
    assert saver is not None
    assert "carol" in teller.platform_user_id.lower()
    assert "ben" in saver.platform_user_id.lower()
    assert story.permalink
    assert story.shared  # a public message stays public


async def test_the_same_message_saved_twice_is_one_story(chat: Driver) -> None:
    for saver in ("ben", "ana"):
        seen = await chat.save_message(
            saver,
            author="carol",
            text="The courier left her parcel in the rain and it was ruined",
            message="m-200",
            place=Place.PUBLIC,
        )
    assert "already saved" in seen
    assert len(stories(chat)) == 1


async def test_search_shows_each_person_only_what_their_place_may_see(chat: Driver) -> None:
    await chat.tell(
        "ana", "Ana's private note: the refund desk hung up on her", place=Place.PERSONAL
    )
    await chat.tell(
        "ana", "Ana's public story: the refund arrived a month late", place=Place.PUBLIC
    )
    await chat.tell(
        "ben", "Ben's group story: the refund form lost her address", place=Place.PRIVATE
    )
    for user, place in (
        ("ana", Place.PERSONAL),
        ("ana", Place.PUBLIC),
        ("ben", Place.PERSONAL),
        ("ben", Place.PRIVATE),
        ("carol", Place.PERSONAL),
    ):
        seen = await chat.search(user, "refund", place=place)
        alone = chat.private_replies(place)
        assert "Ana's public story" in seen
        assert ("Ana's private note" in seen) == (user == "ana" and alone)
        assert ("Ben's group story" in seen) == (user == "ben" and alone)


async def test_this_resonates_counts_once_per_person_on_the_shared_post(chat: Driver) -> None:
    await chat.tell("ana", "The refund arrived a month late and nobody called", place=Place.PUBLIC)
    shared = story_id(chat, "month late")
    assert chat.stories_post(shared)  # posted to the stories channel
    await chat.resonate("ben", shared)
    await chat.resonate("ben", shared)
    await chat.resonate("carol", shared)
    with Session(chat.engine) as session:
        rows = session.exec(select(Engagement).where(Engagement.story_id == shared)).all()
    assert len(rows) == 2


async def test_answers_go_to_the_thread_and_the_storyteller_hears_once(chat: Driver) -> None:
    await chat.tell(
        "ana", "A florist was charged twice and her card was declined", place=Place.PUBLIC
    )
    await chat.link_department("Finance")
    sent = await chat.lead(LEAD, "prompt now Finance")
    assert "Sent Finance a prompt" in sent
    delivery = latest_delivery(chat.engine)
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.id is not None
    await chat.answer("ben", delivery.id, "We batch refunds weekly; write to ben@example.com")
    await chat.answer("carol", delivery.id, "Card declines come from our fraud rules")
    thread = chat.thread(delivery.id)
    assert len(thread) == 2
    assert "write to [email]" in thread[0]
    assert "ben@example.com" not in " ".join(thread)
    messages, latest = chat.storyteller_messages("ana")
    assert messages == 1  # one message for the prompt, kept up to date
    assert "Finance reflected on" in latest
    assert "fraud rules" in latest
    assert "We batch refunds weekly" in latest


async def test_one_reminder_goes_to_the_prompts_thread(chat: Driver) -> None:
    await chat.tell(
        "ana", "A florist was charged twice and her card was declined", place=Place.PUBLIC
    )
    await chat.link_department("Finance")
    await chat.lead(LEAD, "prompt now Finance")
    delivery = latest_delivery(chat.engine)
    assert delivery.id is not None
    chat.clock.advance(hours=25)
    scheduler = chat.scheduler()
    assert (await scheduler.sweep_once()).reminders == 1
    assert (await scheduler.sweep_once()).reminders == 0
    [reminder] = chat.thread(delivery.id)
    assert "answer" in reminder.lower()


async def test_lead_commands_are_for_leads_only(chat: Driver) -> None:
    await chat.lead(LEAD, "department add Legal")
    refused = await chat.lead("ben", "departments")
    assert "is for CX leads" in refused
    assert "Legal" not in refused
    listed = await chat.lead(LEAD, "departments")
    assert "Legal" in listed
    assert "no channel yet" in listed


async def test_a_story_is_deleted_by_its_teller_or_a_lead_only(chat: Driver) -> None:
    await chat.tell("ana", "The refund arrived a month late and nobody called", place=Place.PUBLIC)
    await chat.tell("carol", "The chatbot sent her in circles for an hour", place=Place.PUBLIC)
    anas, carols = story_id(chat, "month late"), story_id(chat, "circles")
    refused = await chat.delete("ben", anas)
    assert "only the author or a CX lead" in refused
    assert "Story deleted" in await chat.delete("ana", anas)
    assert "Story deleted" in await chat.delete(LEAD, carols)
    assert stories(chat) == []


async def test_a_story_is_edited_in_the_form_and_its_shared_post_follows(chat: Driver) -> None:
    await chat.tell("ana", "The refund arrived a month late and nobody called", place=Place.PUBLIC)
    shared = story_id(chat, "month late")
    refused = await chat.edit("ben", shared, "Ben rewrites someone else's story entirely")
    assert "only the author or a CX lead" in refused
    too_short = await chat.edit("ana", shared, "Late.")
    assert "too short" in too_short
    seen = await chat.edit(
        "ana", shared, "The refund arrived five weeks late and nobody called her"
    )
    assert "Story updated" in seen
    [story] = stories(chat)
    assert story.text == "The refund arrived five weeks late and nobody called her"
    assert "five weeks late" in chat.post_updates(shared)[-1]


async def test_a_lead_exports_the_period_privately(chat: Driver) -> None:
    await chat.tell("ana", "The refund arrived a month late and nobody called", place=Place.PUBLIC)
    chat.clock.advance(minutes=5)  # a period ends at "now", exclusive
    refused = await chat.lead("ben", "export 7d")
    assert "is for CX leads" in refused
    assert await chat.exported_stories("ben") == []
    sent = await chat.lead(LEAD, "export 7d", place=Place.PUBLIC)
    assert "Sent you the export" in sent
    rows = await chat.exported_stories(LEAD)
    assert [row["text"] for row in rows] == ["The refund arrived a month late and nobody called"]


async def test_a_failed_share_is_still_saved_once_and_the_teller_told_so(chat: Driver) -> None:
    chat.refuse_next_post()  # the stories channel refuses the post
    first = await chat.tell(
        "ana", "The refund arrived a month late and nobody called", place=Place.PUBLIC
    )
    assert "Story saved" in first
    assert "try again" not in first.text.lower()
    again = await chat.tell(
        "ana", "The refund arrived a month late and nobody called", place=Place.PUBLIC
    )
    assert "already saved" in again
    assert len(stories(chat)) == 1


async def test_mentions_in_a_story_never_ping_anyone(chat: Driver) -> None:
    text = "Heads up <!channel> <!here> <@U0BEN> <at>Ben</at> the refund page is down again"
    await chat.tell("ana", text, place=Place.PUBLIC)
    [story] = stories(chat)
    assert story.channel_post_ref  # shown in the stories channel too
    assert chat.pings(("<!channel>", "<!here>", "<@U0BEN>")) == []


async def test_prompt_now_through_the_ledger_is_recorded_once(chat: Driver) -> None:
    await chat.tell(
        "ana", "A florist was charged twice and her card was declined", place=Place.PUBLIC
    )
    await chat.link_department("Finance")
    await chat.lead(LEAD, "prompt now Finance")
    with Session(chat.engine) as session:
        [row] = session.exec(select(PromptDelivery)).all()
    assert (row.kind, row.status) == ("manual", DeliveryStatus.SENT)


async def test_a_lead_gets_a_private_one_time_dashboard_link(chat: Driver) -> None:
    refused = await chat.lead("ben", "dashboard")
    assert "is for CX leads" in refused
    assert "/dashboard/signin/" not in refused
    seen = await chat.lead(LEAD, "dashboard")
    assert "works once" in seen
    [url] = set(re.findall(r"https?://\S+/dashboard/signin/[A-Za-z0-9_.-]+", seen.text))
    with Session(chat.engine) as session:
        [link] = session.exec(select(DashboardLink)).all()
        lead = session.get(Member, link.member_id)
    assert lead is not None
    assert lead.platform_user_id in (
        SlackDriver.uid(LEAD),
        TeamsDriver.account(LEAD)["aadObjectId"],
    )
    assert link.used_at is None
    assert link.expires_at == chat.clock.now() + timedelta(minutes=10)
    again = await chat.lead(LEAD, "dashboard")
    assert url not in again  # every request makes a new link
