"""Teams' own payloads, posted over HTTP to the real server; replies reach a fake connector.

Each payload in tests/fixtures/teams/ is shaped like the ones Teams sends (Bot Framework and
Teams docs): ids, channelData, entities and the HTML attachment Teams adds to messages. Only the
serviceUrl is pointed at the fake Bot Connector before posting.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from stories.models import (
    ChatConversation,
    Engagement,
    Member,
    Platform,
    SourceKind,
    Story,
    Workspace,
)
from tests.teams.test_teams_bot import Harness, _card
from tests.teams.test_teams_unit import texts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "teams"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
GENERAL = "19:0a1b2c3d4e5f60718293a4b5c6d7e8f9@thread.tacv2"  # a team's General channel


def payload(teams: Harness, name: str, **changes: Any) -> dict[str, Any]:
    activity: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    activity["serviceUrl"] = teams.connector.url
    activity.update(changes)
    return activity


def saved_conversations(teams: Harness) -> dict[str, tuple[str, bool]]:
    with Session(teams.engine) as session:
        rows = session.exec(select(ChatConversation)).all()
    return {row.conversation_id: (row.kind, row.active) for row in rows}


async def test_personal_message_is_stored_privately_and_answered_in_the_chat(
    teams: Harness,
) -> None:
    activity = payload(teams, "message_personal")
    response = await teams.post(activity)
    assert response.status_code in (200, 201)

    [reply] = teams.connector.replies
    assert (reply.conversation_id, reply.activity_id) == (
        activity["conversation"]["id"],
        activity["id"],  # a reply to the person's message
    )
    assert "Ana wrote from [email]: her refund took three weeks" in texts(_card(reply))
    with Session(teams.engine) as session:
        [story] = session.exec(select(Story)).all()
        author = session.get(Member, story.author_member_id)
        workspace = session.get(Workspace, story.workspace_id)
    assert story.text == "Ana wrote from [email]: her refund took three weeks to arrive"
    assert (story.source_kind, story.shared, story.channel_private) == (
        SourceKind.TEAMS_MESSAGE,
        False,
        True,
    )
    assert author is not None
    assert (author.platform_user_id, author.display_name) == (
        "6b6ac4a4-9a3c-4f6e-8a8e-5d0c1d2b4f11",  # the AAD object id: stable across chats
        "Ada Lovelace",
    )
    assert workspace is not None
    assert (workspace.platform, workspace.external_id) == (Platform.TEAMS, TENANT)


async def test_channel_mention_is_stripped_and_the_story_shared_with_the_team(
    teams: Harness,
) -> None:
    activity = payload(teams, "message_channel_mention")
    await teams.post(activity)

    [reply] = teams.connector.replies
    assert reply.conversation_id == activity["conversation"]["id"]  # stays in the thread
    with Session(teams.engine) as session:
        [story] = session.exec(select(Story)).all()
    assert story.text == "The courier left a customer's parcel out in the rain twice"
    assert (story.shared, story.channel_private) == (True, False)


async def test_bot_added_to_a_team_remembers_its_general_channel(teams: Harness) -> None:
    response = await teams.post(payload(teams, "conversation_update_bot_added_to_team"))
    assert response.status_code in (200, 201)
    assert saved_conversations(teams) == {GENERAL: ("channel", True)}
    with Session(teams.engine) as session:
        saved = session.exec(select(ChatConversation)).one()
    assert saved.reference["serviceUrl"] == teams.connector.url
    assert saved.reference["conversation"]["id"] == GENERAL


async def test_removing_the_app_from_the_team_forgets_the_channel(teams: Harness) -> None:
    await teams.post(payload(teams, "conversation_update_bot_added_to_team"))
    welcomed = len(teams.connector.calls)  # the welcome (tests/teams/test_teams_welcome.py)
    response = await teams.post(payload(teams, "installation_update_remove"))
    assert response.status_code in (200, 201)
    assert saved_conversations(teams) == {GENERAL: ("channel", False)}
    assert teams.connector.calls[welcomed:] == []  # nothing to say to a team that removed us


async def test_message_action_fetch_task_opens_the_form_with_the_message(
    teams: Harness,
) -> None:
    response = await teams.post(payload(teams, "compose_extension_fetch_task"))
    assert response.status_code == 200
    task = response.json()["task"]
    assert task["type"] == "continue"
    assert task["value"]["title"] == "Save as customer story"
    form = task["value"]["card"]["content"]
    [text_box] = [item for item in form["body"] if item.get("id") == "text"]
    assert "parcel was left in the rain" in text_box["value"]
    assert teams.connector.calls == []  # the form travels in the HTTP response


async def test_message_action_form_shows_the_message_as_plain_text(teams: Harness) -> None:
    response = await teams.post(payload(teams, "compose_extension_fetch_task"))
    form = response.json()["task"]["value"]["card"]["content"]
    [text_box] = [item for item in form["body"] if item.get("id") == "text"]
    assert text_box["value"] == (
        "The customer\u2019s parcel was left in the rain & ruined; she called three times."
    )


async def test_message_action_submit_saves_the_story_and_confirms(teams: Harness) -> None:
    response = await teams.post(payload(teams, "compose_extension_submit_action"))
    assert response.status_code == 200
    assert response.json() == {}  # closes the task module
    [confirmation] = teams.connector.replies
    assert "Story saved" in texts(_card(confirmation))
    with Session(teams.engine) as session:
        [story] = session.exec(select(Story)).all()
    assert (story.text, story.customer_label, story.source_kind, story.shared) == (
        "The customer's parcel was left in the rain and ruined; she called three times.",
        "Wren & Co",
        SourceKind.TEAMS_EXTENSION,
        True,  # saved from a team channel
    )
    assert story.touchpoint == "delivery"


async def test_card_button_submit_counts_once_and_updates_the_card(teams: Harness) -> None:
    await teams.post(payload(teams, "message_channel_mention"))
    story_id = _card(teams.connector.replies[0])["actions"][0]["data"]["story_id"]
    press = payload(teams, "adaptive_card_submit")
    press["value"] = {**press["value"], "story_id": story_id}  # the card's own data
    for _ in range(2):  # pressed twice: one vote
        response = await teams.post(press)
        assert response.status_code in (200, 201)

    assert [u.activity_id for u in teams.connector.updates] == [press["replyToId"]] * 2
    assert "1 resonate" in texts(_card(teams.connector.updates[-1]))
    with Session(teams.engine) as session:
        assert len(session.exec(select(Engagement)).all()) == 1
