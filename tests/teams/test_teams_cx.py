"""CX lead commands, the stories channel and the leads' digest in Teams, over real HTTP.

Each test runs the real aiohttp server (anonymous Bot Framework mode) against the fake Bot
Connector and asserts on what reached the connector and what is in the database.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.scheduler import PromptScheduler
from handlers.teams import cards, story_cards
from handlers.teams.summary_card import summary_card
from stories.clock import FixedClock
from stories.conversation.views import (
    DepartmentRow,
    DepartmentsView,
    Notice,
    SearchReply,
    StoryView,
)
from stories.digest import DIGEST_KIND, NOTICE_KIND
from stories.models import (
    ChatConversation,
    DeliveryStatus,
    Department,
    Member,
    Platform,
    PromptDelivery,
    Story,
    Workspace,
)
from stories.prompt_ledger import MANUAL_KIND
from stories.summaries import DepartmentSummary, ResonatedStory, Summary, ThemeSummary, compare
from tests.fakes.bot_connector import ConnectorCall
from tests.teams.test_teams_bot import TENANT, Harness, _card, serve_teams, teams_settings
from tests.teams.test_teams_package import _errors, _validator
from tests.test_summaries import build_world

PUBLIC = "https://sightline.example.com"
KEY = "test-chart-signing-key-0123456789"
LIMIT = 28 * 1024
LEAD = {"id": "29:lead", "name": "Lena", "aadObjectId": "AAD-LENA"}
FINANCE = {
    "id": "19:finance@thread.tacv2;messageid=1700000000001",
    "tenantId": TENANT,
    "conversationType": "channel",
}
STORIES = {
    "id": "19:stories@thread.tacv2;messageid=1700000000002",
    "tenantId": TENANT,
    "conversationType": "channel",
}
LEADS = {"id": "19:leads@thread.tacv2", "tenantId": TENANT, "conversationType": "channel"}
Start = Callable[..., AbstractAsyncContextManager[Harness]]


@pytest.fixture
def start(engine: Engine, clock: FixedClock) -> Start:
    """Start the server with settings of the test's choosing (lead: aad-lena by default)."""

    @contextlib.asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[Harness]:
        options: dict[str, Any] = {"teams_cx_leads": ["aad-lena"], **overrides}
        async with serve_teams(teams_settings(**options), engine, clock) as harness:
            yield harness

    return run


async def _say(teams: Harness, text: str, **fields: Any) -> dict[str, Any]:
    """Send a message as the lead (unless ``from`` is given); return the card answered."""
    fields.setdefault("from", LEAD)
    activity = teams.activity(text=text, **fields)
    before = len(teams.connector.replies)
    response = await teams.post(activity)
    assert response.status_code in (200, 201)
    [reply] = [
        c
        for c in teams.connector.replies[before:]
        if c.conversation_id == activity["conversation"]["id"]
    ]
    return _card(reply)


def _workspace(teams: Harness) -> Workspace:
    with Session(teams.engine) as session:
        return session.exec(
            select(Workspace).where(
                Workspace.platform == Platform.TEAMS, Workspace.external_id == TENANT
            )
        ).one()


def _departments(teams: Harness) -> dict[str, Department]:
    with Session(teams.engine) as session:
        return {d.name: d for d in session.exec(select(Department))}


def _valid(card: dict[str, Any]) -> None:
    assert _errors(_validator("adaptive-card-1.5.schema.json"), card) == []
    assert len(json.dumps(card).encode()) < LIMIT


# --- who may use the lead commands ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["summary", "summary 7d", "departments", "department add Finance", "prompt now Finance"],
)
async def test_others_get_a_polite_refusal_and_no_data(start: Start, text: str) -> None:
    async with start() as teams:
        card = await _say(teams, text, **{"from": {"id": "29:ada", "aadObjectId": "aad-ada"}})
        _valid(card)
        assert "for CX leads" in str(card["body"])
        assert "Image" not in str(card)
        assert _departments(teams) == {}


async def test_help_lists_the_lead_commands_for_leads_only(start: Start) -> None:
    async with start() as teams:
        others = await _say(teams, "help", **{"from": {"id": "29:ada", "aadObjectId": "aad-ada"}})
        lead = await _say(teams, "help")
        unknown = await _say(teams, "hello there")
    assert "CX lead commands" not in str(others)
    assert "department link" not in str(others)
    assert "CX lead commands" in str(lead)
    assert "department link <name>" in str(lead)
    assert "prompt now <name>" in str(unknown)
    for card in (others, lead):
        _valid(card)


async def test_lead_commands_match_whole_words_only(start: Start) -> None:
    async with start() as teams:
        for text in ("summaryx", "departmentsfoo", "prompting now Finance"):
            card = await _say(teams, text)
            assert "CX lead commands" in str(card), text  # the help card, not a command
        assert _departments(teams) == {}


async def test_a_lead_is_known_by_upn_read_from_teams_once(start: Start) -> None:
    user = {"id": "29:upn", "name": "Uma", "aadObjectId": "aad-uma"}
    async with start(teams_cx_leads=["Uma.Lead@Contoso.com"]) as teams:
        teams.connector.members["29:upn"] = {
            **user,
            "userPrincipalName": "uma.lead@contoso.com",
            "email": "uma.lead@contoso.com",
        }
        added = await _say(teams, "department add Legal", **{"from": user})
        listed = await _say(teams, "departments", **{"from": user})
        assert teams.connector.member_lookups == ["29:upn"]  # cached for the second command
    assert "Added Legal" in str(added)
    assert "Legal" in str(listed["body"])
    assert set(_departments(teams)) == {"Legal"}


async def test_an_unreadable_upn_means_no_access_and_no_error(start: Start) -> None:
    async with start(teams_cx_leads=["uma.lead@contoso.com"]) as teams:
        user = {"id": "29:stranger", "aadObjectId": "aad-stranger"}
        card = await _say(teams, "departments", **{"from": user})  # the connector says 404
    assert "for CX leads" in str(card)
    assert teams.connector.member_lookups == ["29:stranger"]


async def test_a_member_marked_as_lead_in_the_database_is_a_lead(start: Start) -> None:
    user = {"id": "29:marked", "aadObjectId": "aad-marked"}
    async with start(teams_cx_leads=[]) as teams:
        await _say(teams, "help", **{"from": user})
        with Session(teams.engine) as session:
            member = session.exec(
                select(Member).where(Member.platform_user_id == "aad-marked")
            ).one()
            member.is_cx_lead = True
            session.add(member)
            session.commit()
        card = await _say(teams, "departments", **{"from": user})
    assert "Departments" in str(card["body"])


# --- departments --------------------------------------------------------------------------


async def test_department_add_list_pause_and_resume(start: Start) -> None:
    async with start(default_timezone="Europe/Paris") as teams:
        added = await _say(
            teams,
            "department add “Customer Care” --customer-facing --time 9:30 --days mon-fri",
        )
        await _say(teams, "department add Finance --time 08:15 --tz Europe/London --days tue,thu")
        duplicate = await _say(teams, "department add finance")
        bad = await _say(teams, "department add IT --tz Mars/Olympus")
        paused = await _say(teams, "department pause finance")
        after_pause = dict(_departments(teams))
        listed = await _say(teams, "departments")
        resumed = await _say(teams, "department resume Finance")
    assert "Added Customer Care" in str(added)
    assert "already exists" in str(duplicate["body"])
    assert "timezone" in str(bad["body"])
    assert "IT" not in after_pause
    assert "paused" in str(paused["body"])
    assert "resumed" in str(resumed["body"])
    care, finance = after_pause["Customer Care"], after_pause["Finance"]
    assert (care.customer_facing, care.timezone, care.prompt_time, care.prompt_days) == (
        True,
        "Europe/Paris",
        "09:30",
        "mon,tue,wed,thu,fri",
    )
    assert (finance.timezone, finance.prompt_time, finance.prompt_days) == (
        "Europe/London",
        "08:15",
        "tue,thu",
    )
    assert finance.paused is True
    assert _departments(teams)["Finance"].paused is False
    facts = {f["title"]: f["value"] for f in listed["body"][1]["facts"]}
    assert "no channel yet" in facts["Finance"]
    assert "customer-facing" in facts["Customer Care"]
    for card in (added, listed, paused):
        _valid(card)


async def test_department_link_in_a_channel_then_prompt_now(start: Start) -> None:
    async with start() as teams:
        await _say(
            teams,
            "story A parcel was left in the rain and the refund took a month",
            conversation={**FINANCE, "id": "19:support@thread.tacv2"},  # shared: a channel
        )
        await _say(teams, "department add Finance")
        unlinked = await _say(teams, "prompt now Finance")
        in_chat = await _say(teams, "department link Finance")
        linked = await _say(teams, "department link Finance", conversation=FINANCE)
        sent = await _say(teams, "prompt now finance")
        prompt = teams.connector.replies[-2]  # the prompt, then the lead's confirmation
        with Session(teams.engine) as session:
            [delivery] = session.exec(select(PromptDelivery)).all()
            saved = {c.conversation_id: c.reference for c in session.exec(select(ChatConversation))}
    assert "department link Finance" in str(unlinked["body"])
    assert "department's channel" in str(in_chat["body"])
    assert "Linked Finance" in str(linked["body"])
    channel = "19:finance@thread.tacv2"
    assert _departments(teams)["Finance"].teams_conversation_id == channel
    assert saved[channel]["conversation"]["id"] == channel  # a new thread, not a reply
    assert "Sent Finance a prompt" in str(sent["body"])
    assert prompt.conversation_id == channel
    assert _card(prompt)["actions"][0]["data"]["delivery_id"] == delivery.id
    assert (delivery.kind, delivery.status) == (MANUAL_KIND, DeliveryStatus.SENT)


async def test_bad_lead_commands_say_how_to_write_them(start: Start) -> None:
    async with start() as teams:
        answers = {
            text: str((await _say(teams, text))["body"])
            for text in (
                "summary 14d",
                "summary 2026-10-31..2026-10-01",
                "summary 30d Nowhere",
                "department add",
                "department rename Finance",
                "department add Finance --colour blue",
                "prompt Finance",
                "departments now",
                'department add "Finance',
            )
        }
    assert "is not a period" in answers["summary 14d"]
    assert "ends before it starts" in answers["summary 2026-10-31..2026-10-01"]
    assert "No department found" in answers["summary 30d Nowhere"]
    assert "department add|link|pause|resume" in answers["department add"]
    assert "department add|link|pause|resume" in answers["department rename Finance"]
    assert "--colour" in answers["department add Finance --colour blue"]
    assert "prompt now <department>" in answers["prompt Finance"]
    assert "on its own" in answers["departments now"]
    assert "quote is not closed" in answers['department add "Finance']
    assert _departments(teams) == {}


# --- summary ----------------------------------------------------------------------------------


def _chart_path(card: dict[str, Any]) -> str:
    [image] = [item for item in card["body"] if item["type"] == "Image"]
    assert image["url"].startswith(f"{PUBLIC}/charts/")
    return str(urlsplit(image["url"]).path)


async def _png(teams: Harness, path: str) -> Image.Image:
    async with httpx.AsyncClient() as client:
        response = await client.get(teams.url + path, timeout=60)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image.convert("RGB")


async def test_summary_card_with_a_chart_from_the_signed_route(start: Start) -> None:
    async with start(public_url=PUBLIC, chart_signing_key=KEY) as teams:
        await _say(teams, "help")
        with Session(teams.engine) as session:
            build_world(session, _workspace(teams))
        card = await _say(teams, "summary 30d")
        scoped = await _say(teams, "summary 30d finance")
        image = await _png(teams, _chart_path(card))
        reply = teams.connector.replies[-2]
    _valid(card)
    _valid(scoped)
    text = str(card["body"])
    assert "CX summary, last 30 days" in text
    for label in ("Response rate", "Participation", "Silo index", "Top themes", "Support"):
        assert label in text
    assert card["fallbackText"].startswith("CX summary, last 30 days")
    assert reply.body["summary"] == card["fallbackText"]
    assert "Finance" in str(scoped["body"][0])
    assert image.size == (1200, 700)
    assert len(image.getcolors(maxcolors=1 << 24) or []) > 50  # drawn, not blank


async def test_summary_without_a_public_url_says_why_there_is_no_chart(start: Start) -> None:
    async with start() as teams:
        await _say(teams, "help")
        with Session(teams.engine) as session:
            build_world(session, _workspace(teams))
        card = await _say(teams, "summary 2026-10-01..2026-11-01")
        empty = await _say(teams, "summary 2020-01-01..2020-01-31 Empty")
    _valid(card)
    assert "Image" not in str(card)
    assert "SIGHTLINE_PUBLIC_URL" in str(card["body"])
    assert "2026-10-01 to 2026-11-01" in str(card["body"][0])
    assert "Nothing to summarise yet" in str(empty["body"])


# --- the stories channel ----------------------------------------------------------------------


async def test_a_new_channel_story_is_posted_to_the_stories_channel(start: Start) -> None:
    target = "19:stories@thread.tacv2"
    async with start(teams_stories_conversation=target) as teams:
        await _say(teams, "help", conversation=STORIES)  # the bot has been in that channel
        await _say(teams, "story The courier left her parcel in the rain", conversation=FINANCE)
        posted = teams.connector.replies[-1]
        await _say(teams, "story A private chat story that stays private here")
        after_private = len(teams.connector.replies)
        await teams.post(
            teams.activity(
                text=None,
                conversation=STORIES,
                replyToId=posted.body.get("id") or "reply-3",
                value=_card(posted)["actions"][0]["data"],
            )
        )
        with Session(teams.engine) as session:
            stories = {s.text: s.channel_post_ref for s in session.exec(select(Story))}
    assert posted.conversation_id == target
    card = _card(posted)
    _valid(card)
    assert "courier left her parcel" in str(card["body"])
    assert card["actions"][0]["data"]["sightline"] == "resonate"
    assert after_private == 4  # help, story reply, channel post, private story reply
    assert stories == {
        "The courier left her parcel in the rain": f"{target}|reply-3",
        "A private chat story that stays private here": None,
    }
    assert "1 resonate" in str(_card(teams.connector.updates[-1])["body"])


async def test_stories_channel_the_bot_was_never_in_does_not_lose_the_story(start: Start) -> None:
    async with start(teams_stories_conversation="19:never@thread.tacv2") as teams:
        card = await _say(teams, "story The invoice portal timed out twice", conversation=FINANCE)
        with Session(teams.engine) as session:
            [story] = session.exec(select(Story)).all()
    assert "Story saved" in str(card["body"])
    assert len(teams.connector.replies) == 1
    assert story.channel_post_ref is None


# --- the leads' conversation: digest and notices ----------------------------------------------


async def test_scheduler_posts_digest_and_notices_to_the_leads_conversation(start: Start) -> None:
    settings = {
        "leads_teams_conversation": LEADS["id"],
        "public_url": PUBLIC,
        "chart_signing_key": KEY,
    }
    async with start(**settings) as teams:
        await _say(teams, "help", conversation=LEADS)  # the bot is in the leads' channel
        with Session(teams.engine) as session:
            build_world(session, _workspace(teams))
        await _say(teams, "story The parcel never came", conversation=FINANCE)  # shared
        await _say(teams, "department add Gone")
        _link(teams, "Gone", "19:gone@thread.tacv2")  # a channel the bot was never added to
        failed = await _say(teams, "prompt now Gone")
        report = await PromptScheduler(teams.runtime, teams.sightline.senders).sweep_once()
        to_leads = [c for c in teams.connector.replies if c.conversation_id == LEADS["id"]][1:]
        image = await _png(teams, _chart_path(_digest(to_leads)))
        with Session(teams.engine) as session:
            rows = {d.kind: d.status for d in session.exec(select(PromptDelivery))}
    assert "was not sent" in str(failed["body"])
    # One notice for Gone, one for the failed Finance prompt build_world records.
    assert (report.digests, report.notices) == (1, 2)
    notices = [c.body["text"] for c in to_leads if not c.body.get("attachments")]
    assert any("could not deliver Gone's manual prompt" in text for text in notices)
    digest = _digest(to_leads)
    _valid(digest)
    assert "Weekly digest" in str(digest["body"][0])
    assert image.size == (1200, 700)
    assert rows[DIGEST_KIND] == rows[NOTICE_KIND] == DeliveryStatus.SENT
    assert rows[MANUAL_KIND] == DeliveryStatus.FAILED


def _link(teams: Harness, name: str, conversation_id: str) -> None:
    with Session(teams.engine) as session:
        department = session.exec(select(Department).where(Department.name == name)).one()
        department.teams_conversation_id = conversation_id
        session.add(department)
        session.commit()


def _digest(calls: list[ConnectorCall]) -> dict[str, Any]:
    [digest] = [_card(c) for c in calls if c.body.get("attachments")]
    return digest


# --- card size --------------------------------------------------------------------------------


async def test_a_huge_story_arrives_cut_and_under_the_size_limit(start: Start) -> None:
    text = "Refund saga 🧾 " + "😀" * 3980  # as long as a story may be, 12 bytes a character
    async with start() as teams:
        await _say(teams, "story " + text)
        reply = teams.connector.replies[-1]
    assert len(json.dumps(reply.body).encode()) < LIMIT
    shown = _card(reply)["body"][1]["text"]
    assert shown.startswith("Refund saga")
    assert shown.endswith("…")


def test_a_huge_summary_card_stays_under_the_limit_and_valid(
    session: Session, workspace: Workspace
) -> None:
    summary = _huge(build_world(session, workspace).summary("30d"))
    card = summary_card(summary, chart_url=f"{PUBLIC}/charts/abc.png")
    _valid(card)
    assert "…" in json.dumps(card, ensure_ascii=False)
    assert any(item["type"] == "Image" for item in card["body"])


def test_every_card_is_cut_to_fit_whatever_it_holds() -> None:
    huge = StoryView(id=1, text="🧾" * 50_000, customer_label="Ä" * 120)
    rows = tuple(
        DepartmentRow(
            name=f"Department {i} " + "x" * 60, channel="c", schedule="mon 09:00 UTC", state=""
        )
        for i in range(2_000)
    )
    for card in (
        story_cards.story_card(huge),
        story_cards.search_card(
            SearchReply(query="refund", heading="h", stories=(huge,) * 5, next_offset=5)
        ),
        story_cards.departments_card(DepartmentsView(title="Departments", rows=rows, empty="")),
        story_cards.notice_card(Notice(text="🧾" * 40_000)),
    ):
        fitted = cards.fit(card)
        _valid(fitted)
        assert "…" in json.dumps(fitted, ensure_ascii=False)


def _huge(summary: Summary) -> Summary:
    story = "😀 Long story about a refund. " * 200
    department = summary.departments[0]
    return replace(
        summary,
        themes=tuple(
            ThemeSummary(f"theme {i} " + "word " * 40, compare(i, 1), None, story)
            for i in range(60)
        ),
        departments=tuple(
            DepartmentSummary(**{**department.__dict__, "name": f"Department {i} " + "é" * 70})
            for i in range(400)
        ),
        silent_departments=tuple(f"Silent {i} " + "ü" * 70 for i in range(400)),
        most_resonated=tuple(
            ResonatedStory(i, story, "billing", "Support", 9, 3) for i in range(40)
        ),
    )
