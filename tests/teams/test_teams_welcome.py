"""The welcome, once per install: in a personal chat and in a team, over the real endpoint.

Teams announces an install twice (an installation update and a conversation update naming
the bot); the welcome is a claim in the database, so it is said once however the two arrive,
and removing and re-adding the app within a day says nothing new.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from stories.clock import FixedClock
from tests.teams.test_teams_bot import TENANT, Harness, _card
from tests.teams.test_teams_cx import Start, _say, start
from tests.teams.test_teams_protocol import GENERAL, payload
from tests.teams.test_teams_unit import texts

__all__ = ["start"]  # the fixture, shared with the CX lead tests


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


async def test_cards_name_the_organisation_never_its_tenant_id(start: Start) -> None:
    async with start() as teams:
        card = await _say(teams, "summary 30d")  # only a personal chat so far: no name known
        assert TENANT not in json.dumps(card)
        assert "your Microsoft 365 organisation" in texts(card)

        team = {"id": "19:cx@thread.tacv2", "name": "Customer Experience"}
        added = teams.activity(
            type="conversationUpdate",
            text=None,
            membersAdded=[{"id": "28:bot"}],
            conversation={"id": team["id"], "tenantId": TENANT, "conversationType": "channel"},
            channelData={"team": team, "tenant": {"id": TENANT}, "eventType": "teamMemberAdded"},
        )
        await teams.post(added)
        card = await _say(teams, "summary 30d")
        assert "Customer Experience" in texts(card)
        assert TENANT not in json.dumps(card)

        # A second team does not rename the organisation; an admin may (the command line).
        second = {"id": "19:ops@thread.tacv2", "name": "Operations"}
        added["conversation"]["id"] = second["id"]
        added["channelData"]["team"] = second
        await teams.post({**added, "id": "act-second-team"})
        assert "Customer Experience" in texts(await _say(teams, "settings"))
