"""Anonymous (local testing) Teams mode takes Teams and Emulator activities only."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from stories.models import Story
from tests.teams.test_teams_bot import Harness, teams  # noqa: F401  (fixture)


@pytest.mark.parametrize("channel", ["msteams", "emulator"])
async def test_teams_and_emulator_activities_are_accepted(teams: Harness, channel: str) -> None:  # noqa: F811
    response = await teams.post(
        teams.activity(channelId=channel, text="story The courier left the parcel in the rain")
    )
    assert response.status_code in (200, 201)
    with Session(teams.engine) as session:
        assert len(session.exec(select(Story)).all()) == 1


@pytest.mark.parametrize("channel", ["slack", "directline", "webchat", None])
async def test_other_channels_are_refused_and_nothing_is_stored(
    teams: Harness,  # noqa: F811
    channel: str | None,
) -> None:
    response = await teams.post(
        teams.activity(channelId=channel, text="story Somebody posted this from elsewhere")
    )
    assert response.status_code == 403
    assert teams.connector.replies == []
    with Session(teams.engine) as session:
        assert session.exec(select(Story)).all() == []


async def test_a_body_that_is_not_json_is_a_400(teams: Harness) -> None:  # noqa: F811
    import httpx

    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{teams.url}/api/messages",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 400
