"""The conformance suite: each behaviour written once, run against Slack and against Teams
through their real HTTP endpoints. A behaviour added to one platform and not the other
fails here. Platform-only behaviours (reactions, Socket Mode, file consent's protocol) are
tested beside each platform's own tests instead.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session, col, select

from bot.scheduler.sweep import DueOccurrence
from stories.anonymous_answers import set_anonymous_answers
from stories.answers import mark_not_relevant
from stories.conversation.context import Place
from stories.models import (
    DashboardLink,
    DeliveryStatus,
    Department,
    Engagement,
    HarvestStory,
    Member,
    PromptAnswer,
    PromptDelivery,
    Story,
)
from stories.prompt_ledger import HARVEST_KIND
from stories.prompt_members import set_override
from stories.workspaces import ensure_member
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


def include(chat: Driver, department: str, *users: str) -> None:
    """Put people in a department by hand, as `sightline prompts members --add` does."""
    with Session(chat.engine) as session:
        found = session.exec(select(Department).where(Department.name == department)).one()
        for user in users:
            member = ensure_member(
                session=session,
                clock=chat.clock,
                workspace_id=found.workspace_id,
                platform_user_id=chat.user_id(user),
            )
            set_override(
                session=session,
                clock=chat.clock,
                department=found,
                member=member,
                override="include",
            )


async def test_one_reminder_goes_only_to_those_who_have_not_responded(chat: Driver) -> None:
    await chat.tell(
        "ana", "A florist was charged twice and her card was declined", place=Place.PUBLIC
    )
    await chat.link_department("Finance")
    include(chat, "Finance", "ben", "carol", "lena")
    await chat.lead(LEAD, "prompt now Finance")
    delivery = latest_delivery(chat.engine)
    assert delivery.id is not None
    await chat.answer("ben", delivery.id, "We batch refunds weekly")
    with Session(chat.engine) as session:
        carol = session.exec(
            select(Member).where(Member.platform_user_id == chat.user_id("carol"))
        ).one()
        mark_not_relevant(session=session, clock=chat.clock, delivery_id=delivery.id, member=carol)
    chat.clock.advance(hours=25)
    scheduler = chat.scheduler()
    assert (await scheduler.sweep_once()).reminders == 1
    assert (await scheduler.sweep_once()).reminders == 0  # one reminder per prompt
    [(text, link)] = chat.reminders(LEAD)  # the one member who neither answered nor declined
    assert "Finance was sent a customer story" in text
    assert link  # to the prompt
    assert chat.reminders("ben") == []
    assert chat.reminders("carol") == []
    assert len(chat.thread(delivery.id)) == 1  # ben's answer; nothing posted in the channel


async def test_no_reminder_when_everyone_has_responded(chat: Driver) -> None:
    await chat.tell(
        "ana", "A florist was charged twice and her card was declined", place=Place.PUBLIC
    )
    await chat.link_department("Finance")
    include(chat, "Finance", "ben")
    await chat.lead(LEAD, "prompt now Finance")
    delivery = latest_delivery(chat.engine)
    assert delivery.id is not None
    await chat.answer("ben", delivery.id, "Card declines come from our fraud rules")
    chat.clock.advance(hours=25)
    report = await chat.scheduler().sweep_once()
    assert (report.reminders, report.reminders_unneeded) == (0, 1)
    assert chat.reminders("ben") == []


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


async def test_leads_name_a_lead_and_the_stories_channel_from_chat(chat: Driver) -> None:
    assert "for CX leads" in await chat.lead("ben", "settings")
    assert "is now a CX lead here" in await chat.name_lead(LEAD, "add", "ben")
    moved = await chat.lead_in_finance("ben", "settings stories-channel here")
    assert "posted to this channel" in moved
    await chat.tell("ana", "The courier left her parcel in the rain", place=Place.PUBLIC)
    [story] = stories(chat)
    assert chat.finance in chat.stories_post(story.id or 0)
    with Session(chat.engine) as session:
        members = session.exec(select(Member)).all()
        [ben] = [m for m in members if "ben" in m.platform_user_id.lower()]
        assert ben.is_cx_lead  # so ben may moderate stories too
    assert "no longer a CX lead" in await chat.name_lead(LEAD, "remove", "ben")
    assert "for CX leads" in await chat.lead("ben", "settings")


async def test_a_lead_sets_the_department_a_person_counts_for(chat: Driver) -> None:
    await chat.tell("ben", "A courier left the parcel in the rain", place=Place.PUBLIC)
    await chat.lead(LEAD, "department add Support --customer-facing")
    done = await chat.lead(LEAD, f"member {chat.mention('ben')} department Support")
    assert "now counts for Support" in done
    await chat.tell("ben", "The refund form lost a customer's details twice", place=Place.PUBLIC)
    with Session(chat.engine) as session:
        support = session.exec(select(Department).where(Department.name == "Support")).one()
        ben = session.exec(
            select(Member).where(Member.platform_user_id == chat.user_id("ben"))
        ).one()
    assert ben.department_id == support.id
    later = next(s for s in stories(chat) if "refund form" in s.text)
    assert later.department_id == support.id  # credited to the department he counts for
    unknown = await chat.lead(LEAD, "member nobody-at-all department Support")
    assert "No person found" in unknown


async def test_a_harvest_prompt_brings_a_story_credited_to_teller_and_department(
    chat: Driver,
) -> None:
    await chat.lead(LEAD, "department add Support --customer-facing")
    await chat.link_department("Support")
    with Session(chat.engine) as session:
        support = session.exec(select(Department).where(Department.name == "Support")).one()
    asked = await chat.scheduler().deliver(
        DueOccurrence(support.id or 0, chat.clock.now().replace(microsecond=0), HARVEST_KIND)
    )
    assert asked.status == DeliveryStatus.SENT
    assert asked.delivery_id is not None
    title = await chat.harvest("ben", asked.delivery_id, "A customer cried with relief at the fix")
    assert "Support" in title  # the form is labelled with the department
    story = next(s for s in stories(chat) if "cried with relief" in s.text)
    assert story.department_id == support.id
    teller = member_of(chat, story.author_member_id)
    assert teller is not None
    assert teller.platform_user_id == chat.user_id("ben")
    with Session(chat.engine) as session:
        [credited] = session.exec(select(HarvestStory)).all()
    assert (credited.delivery_id, credited.department_id) == (asked.delivery_id, support.id)


async def test_an_anonymous_departments_answers_name_nobody(chat: Driver) -> None:
    await chat.tell(
        "ana", "A florist was charged twice and her card was declined", place=Place.PUBLIC
    )
    await chat.link_department("Finance")
    include(chat, "Finance", "ben", "lena")
    with Session(chat.engine, expire_on_commit=False) as session:
        finance = session.exec(select(Department).where(Department.name == "Finance")).one()
        set_anonymous_answers(session=session, clock=chat.clock, department=finance, anonymous=True)
    await chat.lead(LEAD, "prompt now Finance")
    delivery = latest_delivery(chat.engine)
    assert delivery.id is not None
    await chat.answer("ben", delivery.id, "Refunds wait for the weekly batch run")
    await chat.answer("ben", delivery.id, "Refunds wait for the Friday batch run")  # edits it
    [posted, edited] = chat.thread(delivery.id)
    assert "someone in Finance" in posted
    assert "Friday batch" in edited
    for seen in (posted, edited):
        assert chat.user_id("ben") not in seen
        assert "Ben" not in seen
    with Session(chat.engine) as session:
        [stored] = session.exec(select(PromptAnswer)).all()
        stored_as = session.get(Member, stored.member_id)
    assert stored_as is not None
    assert stored_as.platform_user_id.startswith("anon:")  # no link to ben
    assert stored_as.department_id == finance.id  # participation still counts for Finance
    chat.clock.advance(hours=25)
    await chat.scheduler().sweep_once()
    assert chat.reminders("ben") == []  # his pseudonym answered: no reminder
    assert len(chat.reminders(LEAD)) == 1


async def test_a_storyteller_can_stop_hearing_about_answers(chat: Driver) -> None:
    await chat.tell(
        "ana", "A florist was charged twice and her card was declined", place=Place.PUBLIC
    )
    await chat.link_department("Finance")
    await chat.lead(LEAD, "prompt now Finance")
    delivery = latest_delivery(chat.engine)
    assert delivery.id is not None
    await chat.answer("ben", delivery.id, "We batch refunds weekly")
    assert chat.storyteller_messages("ana")[0] == 1
    await chat.stop_notices("ana")
    await chat.answer("carol", delivery.id, "Card declines come from our fraud rules")
    assert len(chat.thread(delivery.id)) == 2  # the answer is still in the prompt's thread
    messages, latest = chat.storyteller_messages("ana")
    assert messages == 1
    assert "fraud rules" not in latest  # nor was the message brought up to date


async def test_department_add_in_a_channel_links_that_channel(chat: Driver) -> None:
    added = await chat.lead_in_finance(LEAD, "department add Finance --time 09:30")
    assert "Added Finance" in added
    assert "in its channel" in added
    with Session(chat.engine) as session:
        [department] = session.exec(select(Department)).all()
    assert chat.finance in (department.slack_channel_id, department.teams_conversation_id)
    assert department.prompt_time == "09:30"


async def test_a_person_gets_their_own_data_and_is_forgotten_once_they_confirm(
    chat: Driver,
) -> None:
    await chat.tell("ana", "The Quimby parcel arrived soaked and torn", place=Place.PUBLIC)
    await chat.tell(
        "ana", "Private: Ximena waited five weeks for her deposit", place=Place.PERSONAL
    )
    await chat.tell("ben", "Ben's story: the invoice total was wrong twice", place=Place.PUBLIC)

    mine = await chat.my_data("ana")
    assert mine is not None
    assert sorted(s["text"] for s in mine["stories_told"]) == [
        "Private: Ximena waited five weeks for her deposit",
        "The Quimby parcel arrived soaked and torn",
    ]
    assert await chat.my_data("ben") is not None  # each person gets their own, nobody else's

    asked = await chat.member("ana", "forget-me", place=Place.PERSONAL)
    assert "forget-me confirm" in asked
    assert len(stories(chat)) == 3  # nothing happens before the confirmation

    done = await chat.member("ana", "forget-me confirm", place=Place.PERSONAL)
    assert "Sightline has erased" in done
    kept = {s.text: s for s in stories(chat)}
    assert set(kept) == {
        "The Quimby parcel arrived soaked and torn",  # shared: kept as a colleague's
        "Ben's story: the invoice total was wrong twice",
    }
    assert kept["The Quimby parcel arrived soaked and torn"].author_member_id is None
    with Session(chat.engine) as session:
        users = [m.platform_user_id.casefold() for m in session.exec(select(Member))]
    assert not any("ana" in user for user in users)
    assert any("ben" in user for user in users)


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
