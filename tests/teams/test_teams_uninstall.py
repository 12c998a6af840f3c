"""Teams removing the app: the tenant goes inactive with the last place the app was in,
later messages are answered politely and store nothing, and adding the app back restores
it (issue 14, item 3). Real /api/messages with the fake Bot Connector."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from stories.models import Story, Workspace, WorkspaceRemoval
from tests.teams.test_teams_bot import TENANT, Harness, teams  # noqa: F401  (fixture)


def _install(harness: Harness, action: str, conversation: str = "conv-1") -> dict[str, Any]:
    return harness.activity(
        type="installationUpdate",
        action=action,
        text=None,
        conversation={"id": conversation, "tenantId": TENANT, "conversationType": "personal"},
    )


def _state(harness: Harness) -> tuple[bool, int, bool]:
    """(tenant active, stories stored, removal scheduled)"""
    with Session(harness.engine) as session:
        workspace = session.exec(select(Workspace)).one()
        stories = len(session.exec(select(Story)).all())
        removal = session.get(WorkspaceRemoval, workspace.id) is not None
    return workspace.active, stories, removal


async def test_removing_the_app_from_its_last_place_removes_the_tenant(
    teams: Harness,  # noqa: F811
) -> None:
    await teams.post(teams.activity(text="story The courier left the parcel in the rain"))
    assert _state(teams) == (True, 1, False)

    removed = await teams.post(_install(teams, "remove"))
    assert removed.status_code in (200, 201)
    assert _state(teams) == (False, 1, True)

    teams.connector.replies.clear()
    late = await teams.post(teams.activity(text="story A story told after the app was removed"))
    assert late.status_code in (200, 201)
    assert "removed from this workspace" in str(teams.connector.replies[-1].body)
    assert _state(teams) == (False, 1, True)

    await teams.post(_install(teams, "add"))
    await teams.post(teams.activity(text="story Back again: the refund portal timed out"))
    assert _state(teams) == (True, 2, False)


async def test_removing_the_app_from_one_place_of_several_keeps_the_tenant(
    teams: Harness,  # noqa: F811
) -> None:
    await teams.post(teams.activity(text="story The courier left the parcel in the rain"))
    other = {"id": "conv-2", "tenantId": TENANT, "conversationType": "personal"}
    await teams.post(teams.activity(conversation=other, text="home"))

    await teams.post(_install(teams, "remove", "conv-2"))
    assert _state(teams) == (True, 1, False)
