"""`forget-me confirm` in Teams (issue 14, item 1): afterwards neither the SQLite file nor
what the conversations show (the fake connector's activities, with updates and deletions
applied) holds the member's words, name or ids."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from stories.models import ErasedStories, Story, Workspace, WorkspaceDataPolicy
from tests.fakes.bot_connector import FakeBotConnector
from tests.stored_bytes import sqlite_bytes
from tests.teams.test_teams_bot import TENANT, Harness, teams  # noqa: F401  (fixture)

CHANNEL = {
    "id": "19:general@thread.tacv2;messageid=1790000000001",
    "tenantId": TENANT,
    "conversationType": "channel",
}
ADA_WORDS = ("Zebulon", "Quaggafrost", "Wobblethorpe", "aad-ada", "29:user", '"Ada"')


def shown_now(connector: FakeBotConnector) -> str:
    """What the conversations show now: each post's text, summary and cards, with updates and
    deletions applied (the delivery envelope, which names the chat's own member, is not shown).
    """
    live: dict[tuple[str, str], Any] = {}
    for call in connector.calls:
        if call.method == "POST" and call.response_id:
            live[(call.conversation_id.split(";")[0], call.response_id)] = call.body
        elif call.method == "PUT" and call.activity_id:
            live[(call.conversation_id.split(";")[0], call.activity_id)] = call.body
        elif call.method == "DELETE" and call.activity_id:
            live.pop((call.conversation_id.split(";")[0], call.activity_id), None)
    visible = ("text", "summary", "attachments")
    return repr([{k: body.get(k) for k in visible} for body in live.values()])


async def test_forget_me_leaves_nothing_of_the_member_in_teams_or_the_database(
    teams: Harness,  # noqa: F811
    database_url: str,
) -> None:
    await teams.post(teams.activity(text="story Private: Ximena Wobblethorpe waited five weeks"))
    channel_data = {"tenant": {"id": TENANT}, "team": {"id": "team-1"}}
    await teams.post(
        teams.activity(
            conversation=CHANNEL,
            channelData=channel_data,
            text="story The Zebulon Quaggafrost bakery was charged twice for one order",
        )
    )
    with Session(teams.engine) as session:
        workspace = session.exec(select(Workspace)).one()
        session.add(
            WorkspaceDataPolicy(
                workspace_id=workspace.id or 0,
                erased_stories=ErasedStories.DELETE,
                updated_at=teams.runtime.clock.now(),
            )
        )
        session.commit()
    assert "Quaggafrost" in shown_now(teams.connector)

    asked = await teams.post(teams.activity(text="forget-me"))
    assert asked.status_code in (200, 201)
    assert "forget-me confirm" in repr(teams.connector.replies[-1].body)
    await teams.post(teams.activity(text="forget-me confirm"))

    shown = shown_now(teams.connector)
    assert "Sightline has erased" in shown
    for word in ADA_WORDS:
        assert word not in shown, f"{word!r} still shown in Teams"
    with Session(teams.engine) as session:
        assert session.exec(select(Story)).all() == []
    teams.runtime.engine.dispose()
    teams.engine.dispose()
    if database_url.startswith("sqlite"):
        stored = sqlite_bytes(database_url)
        for word in ADA_WORDS:
            assert word.encode() not in stored, f"{word!r} still in the database file"
