"""The welcome, once per install: in a personal chat and in a team, over the real endpoint.

Teams announces an install twice (an installation update and a conversation update naming
the bot); the welcome is a claim in the database, so it is said once however the two arrive,
and removing and re-adding the app within a day says nothing new.
"""

from __future__ import annotations

import asyncio
from typing import Any

from stories.clock import FixedClock
from tests.teams.test_teams_bot import Harness, _card
from tests.teams.test_teams_protocol import GENERAL, payload
from tests.teams.test_teams_unit import texts


def welcomes(teams: Harness, conversation: str) -> list[str]:
    return [
        texts(_card(call))
        for call in teams.connector.replies
        if call.conversation_id == conversation
        and call.body.get("attachments")
        and "👋" in texts(_card(call))
    ]


def installed(teams: Harness, action: str = "add") -> dict[str, Any]:
    return teams.activity(type="installationUpdate", action=action, text=None)


def bot_added(teams: Harness) -> dict[str, Any]:
    return teams.activity(type="conversationUpdate", membersAdded=[{"id": "28:bot"}], text=None)


async def test_a_personal_install_is_welcomed_once_with_three_things_to_try(
    teams: Harness,
) -> None:
    first, second = await asyncio.gather(teams.post(installed(teams)), teams.post(bot_added(teams)))
    assert {first.status_code, second.status_code} <= {200, 201}
    [welcome] = welcomes(teams, "conv-1")
    assert "Welcome to Sightline" in welcome
    for tip in ("“story”", "“search refund”", "“home”"):
        assert tip in welcome
    [call] = [c for c in teams.connector.replies if "👋" in texts(_card(c))]
    [button] = _card(call)["actions"]
    assert button["data"]["msteams"] == {"type": "task/fetch"}  # the capture form, one tap


async def test_a_team_hears_how_to_link_a_department_and_share_a_story(
    teams: Harness, clock: FixedClock
) -> None:
    await teams.post(payload(teams, "conversation_update_bot_added_to_team"))
    [welcome] = welcomes(teams, GENERAL)
    assert "“@Sightline department link Finance”" in welcome
    assert "“@Sightline story <what happened>”" in welcome

    # Removed and added again the same day: nothing new is said.
    await teams.post(payload(teams, "installation_update_remove"))
    await teams.post(payload(teams, "conversation_update_bot_added_to_team"))
    assert len(welcomes(teams, GENERAL)) == 1

    clock.advance(hours=25)  # a re-add after a day is a new install
    await teams.post(payload(teams, "conversation_update_bot_added_to_team"))
    assert len(welcomes(teams, GENERAL)) == 2


async def test_an_upgrade_is_not_an_install(teams: Harness) -> None:
    await teams.post(installed(teams, action="add-upgrade"))
    assert welcomes(teams, "conv-1") == []
    await teams.post(installed(teams))  # the upgrade claimed nothing: the install is welcomed
    assert len(welcomes(teams, "conv-1")) == 1
