"""Teams-only: a dashboard link asked for in a channel goes to the lead's personal chat alone
(the conformance suite checks what the link is; this checks where Teams carries it)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine

from stories.clock import FixedClock
from tests.teams.test_teams_bot import TENANT, Harness, _card, serve_teams, teams_settings

LEAD = {"id": "29:lena", "name": "Lena", "aadObjectId": "aad-lena"}
CHANNEL = {"id": "19:general@thread.tacv2", "tenantId": TENANT, "conversationType": "channel"}
PERSONAL = {"id": "a:lena-chat", "tenantId": TENANT, "conversationType": "personal"}


@pytest.fixture
async def teams(engine: Engine, clock: FixedClock) -> AsyncIterator[Harness]:
    async with serve_teams(teams_settings(teams_cx_leads=["aad-lena"]), engine, clock) as h:
        yield h


async def test_a_link_asked_for_in_a_channel_is_sent_to_the_personal_chat_only(
    teams: Harness,
) -> None:
    await teams.post(
        teams.activity(
            type="installationUpdate", action="add", conversation=PERSONAL, **{"from": LEAD}
        )
    )
    await teams.post(teams.activity(text="dashboard", conversation=CHANNEL, **{"from": LEAD}))
    in_channel = [c for c in teams.connector.replies if c.conversation_id == CHANNEL["id"]]
    in_chat = [c for c in teams.connector.replies if c.conversation_id == PERSONAL["id"]]
    assert "/dashboard/signin/" in str(_card(in_chat[-1]))
    assert all("/dashboard/signin/" not in str(c.body) for c in in_channel)
    assert "Sent you a sign-in link" in str(_card(in_channel[-1]))
