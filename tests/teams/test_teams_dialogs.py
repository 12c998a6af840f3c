"""Teams-only protocol: the capture dialog (task module), `home`, and file consent for
exports. What these do is in the conformance suite; this checks how Teams carries it."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from stories.clock import FixedClock
from stories.models import SourceKind, Story
from tests.teams.test_teams_bot import TENANT, Harness, _card, serve_teams, teams_settings

LEAD = {"id": "29:lena", "name": "Lena", "aadObjectId": "aad-lena"}
CHANNEL = {"id": "19:general@thread.tacv2", "tenantId": TENANT, "conversationType": "channel"}


@pytest.fixture
async def teams(engine: Engine, clock: FixedClock) -> AsyncIterator[Harness]:
    async with serve_teams(teams_settings(teams_cx_leads=["aad-lena"]), engine, clock) as h:
        yield h


def stories(teams: Harness) -> list[Story]:
    with Session(teams.engine) as session:
        return list(session.exec(select(Story)))


async def invoke(teams: Harness, name: str, value: dict[str, Any], **fields: Any) -> Any:
    response = await teams.post(teams.activity(type="invoke", name=name, value=value, **fields))
    assert response.status_code == 200
    return response.json() if response.content else None


async def test_story_alone_offers_the_form_which_saves_once(teams: Harness) -> None:
    await teams.post(teams.activity(text="story"))
    [opener] = _card(teams.connector.replies[-1])["actions"]
    assert opener["data"] == {"msteams": {"type": "task/fetch"}, "sightline": "form"}
    fetched = await invoke(teams, "task/fetch", {"data": opener["data"]})
    form = fetched["task"]["value"]["card"]["content"]
    assert {e["id"] for e in form["body"] if "id" in e} == {
        "text",
        "customer_label",
        "touchpoint",
        "emotion",
        "share",
    }
    [save] = form["actions"]
    filled = {
        **save["data"],
        "text": "The courier left her parcel in the rain and it was ruined",
        "touchpoint": "Delivery",
        "emotion": "angry",
        "share": "false",
    }
    submitted = teams.activity(type="invoke", name="task/submit", value={"data": filled})
    for _ in range(2):  # Teams retries an invoke it got no answer to: the same activity id
        response = await teams.post(submitted)
        assert response.status_code == 200
    [story] = stories(teams)
    assert (story.source_kind, story.touchpoint, story.emotion) == (
        SourceKind.TEAMS_FORM,
        "delivery",
        "angry",
    )
    assert not story.shared


async def test_the_form_comes_back_with_each_error_under_its_field(teams: Harness) -> None:
    data = {"sightline": "save", "text": "Too short", "touchpoint": "!!!", "share": "true"}
    answer = await invoke(teams, "task/submit", {"data": data})
    form = answer["task"]["value"]["card"]["content"]
    shown = [b.get("text", "") for b in form["body"] if b.get("color") == "Attention"]
    assert any("too short" in text for text in shown)
    assert any("touchpoint" in text for text in shown)
    assert stories(teams) == []


async def test_home_shows_what_the_slack_home_tab_shows(teams: Harness) -> None:
    await teams.post(teams.activity(text="story The refund arrived a month late and nobody called"))
    await teams.post(teams.activity(text="home"))
    shown = str(_card(teams.connector.replies[-1]))
    assert "Your stories" in shown
    assert "Latest stories" in shown
    assert shown.count("month late") == 2  # in both sections, as in Slack's Home tab


async def test_a_summary_asked_in_a_channel_goes_to_the_leads_personal_chat(
    teams: Harness,
) -> None:
    personal = {"id": "a:lena-chat", "tenantId": TENANT, "conversationType": "personal"}
    await teams.post(teams.activity(text="summary", conversation=CHANNEL, **{"from": LEAD}))
    assert "open a chat with Sightline" in str(_card(teams.connector.replies[-1]))
    await teams.post(
        teams.activity(
            type="installationUpdate", action="add", conversation=personal, **{"from": LEAD}
        )
    )
    await teams.post(teams.activity(text="summary 7d", conversation=CHANNEL, **{"from": LEAD}))
    to_chat = [c for c in teams.connector.replies if c.conversation_id == personal["id"]]
    assert "CX summary" in str(_card(to_chat[-1]))
    assert "Sent you the summary" in str(_card(teams.connector.replies[-1]))


async def test_an_export_offer_declined_is_withdrawn_and_a_forged_accept_gets_nothing(
    teams: Harness, clock: FixedClock
) -> None:
    personal = {"id": "a:lena-chat", "tenantId": TENANT, "conversationType": "personal"}
    await teams.post(teams.activity(text="story The refund arrived a month late"))
    clock.advance(minutes=5)
    await teams.post(teams.activity(text="export 7d", conversation=personal, **{"from": LEAD}))
    offer = teams.connector.replies[-1]
    [attachment] = offer.body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.teams.card.file.consent"
    context = attachment["content"]["acceptContext"]
    decline = {"type": "fileUpload", "action": "decline", "context": context}
    await invoke(
        teams,
        "fileConsent/invoke",
        decline,
        conversation=personal,
        replyToId=offer.response_id,
        **{"from": LEAD},
    )
    assert [c.activity_id for c in teams.connector.deletions] == [offer.response_id]

    # Someone who is not a lead replays the offer's context: no file is made or uploaded.
    upload = {
        "name": "x.zip",
        "uploadUrl": teams.connector.upload_url("x.zip"),
        "contentUrl": "https://onedrive.test/x.zip",
        "uniqueId": "1",
        "fileType": "zip",
    }
    accept = {"type": "fileUpload", "action": "accept", "context": context, "uploadInfo": upload}
    await invoke(teams, "fileConsent/invoke", accept)
    assert teams.connector.uploads == {}
    assert "is for CX leads" in str(_card(teams.connector.replies[-1]))

    # The lead accepts: the zip holds the three files.
    await invoke(teams, "fileConsent/invoke", accept, conversation=personal, **{"from": LEAD})
    archive = zipfile.ZipFile(io.BytesIO(teams.connector.uploads["x.zip"]))
    assert sorted(name.split("-")[1] for name in archive.namelist()) == [
        "answers",
        "engagement",
        "stories",
    ]


async def test_search_pages_with_more_and_the_card_is_replaced(teams: Harness) -> None:
    for n in range(7):  # one more page than fits (five stories a page)
        await teams.post(teams.activity(text=f"story Refund number {n} took weeks to arrive"))
    await teams.post(teams.activity(text="search refund"))
    page = teams.connector.replies[-1]
    first = _card(page)
    [more] = [a for a in first.get("actions", []) if a["data"].get("sightline") == "more"]
    assert json.dumps(first).count("took weeks to arrive") == 5
    pressed = teams.activity(text=None, value=more["data"], replyToId=page.response_id)
    await teams.post(pressed)
    [update] = [c for c in teams.connector.updates if c.activity_id == page.response_id]
    second = update.body["attachments"][0]["content"]
    assert json.dumps(second).count("took weeks to arrive") == 2
    assert not [a for a in second.get("actions", []) if a["data"].get("sightline") == "more"]
    shown = {n for n in range(7) for card in (first, second) if f"number {n} " in json.dumps(card)}
    assert shown == set(range(7))  # every story once across the two pages
