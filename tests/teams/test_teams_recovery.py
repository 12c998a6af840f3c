"""Crash recovery for Teams prompt cards: before re-sending a claim that was never confirmed,
the recovering replica reads the channel through Microsoft Graph and finds the card by the
delivery id its Send answer button carries (fake Bot Connector and fake Graph, real HTTP)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.context import STATE
from bot.scheduler import PromptScheduler
from bot.settings import load_settings
from bot.teams_graph import GraphChannelHistory, channel_history
from stories.clock import FixedClock
from stories.models import DeliveryStatus, Platform, PromptDelivery
from stories.workspaces import ensure_workspace
from tests.teams.test_teams_bot import TENANT, Harness
from tests.teams.test_teams_prompts import CHANNEL, _seed

TEAM = "19:team-general@thread.tacv2"
APP = {"MICROSOFT_APP_ID": "a", "MICROSOFT_APP_TENANT_ID": "t"}


async def crashed_after_sending(teams: Harness, clock: FixedClock) -> tuple[int, str, int]:
    """A prompt Teams accepted whose ledger row was never confirmed (the process died in
    between); returns the delivery, its thread and how many posts the channel had."""
    teams.connector.team_groups[TEAM] = "group-1"
    teams.sightline.senders["teams"].history = GraphChannelHistory(  # type: ignore[attr-defined]
        app_id=teams.connector.bot_app_id,
        secret="graph-secret",
        login_url=teams.connector.url,
        graph_url=teams.connector.url,
    )
    data = {"team": {"id": TEAM}, "tenant": {"id": TENANT}}
    await teams.post(teams.activity(text="help", conversation=CHANNEL, channelData=data))
    department = _seed(teams)
    scheduler = PromptScheduler(teams.runtime, teams.sightline.senders, instance="crashed")
    outcome = await scheduler.send_now(department_id=department)
    assert outcome.status is DeliveryStatus.SENT
    with Session(teams.engine) as session:
        row = session.get(PromptDelivery, outcome.delivery_id)
        assert row is not None
        thread = row.message_ref or ""
        row.status, row.message_ref, row.sent_at = DeliveryStatus.CLAIMED, None, None
        session.add(row)
        session.commit()
    clock.advance(minutes=11)  # past the claim timeout: another replica takes it over
    return outcome.delivery_id, thread, len(posts_to_channel(teams))


def posts_to_channel(teams: Harness) -> list[str]:
    return [
        c.response_id or "" for c in teams.connector.replies if c.conversation_id == CHANNEL["id"]
    ]


def ledger(teams: Harness, delivery_id: int) -> PromptDelivery:
    with Session(teams.engine) as session:
        row = session.get(PromptDelivery, delivery_id)
        assert row is not None
        return row


async def recover(teams: Harness) -> None:
    await PromptScheduler(teams.runtime, teams.sightline.senders, instance="b").sweep_once()


async def test_a_card_that_reached_the_channel_is_found_not_sent_again(
    teams: Harness, clock: FixedClock
) -> None:
    delivery_id, thread, posts = await crashed_after_sending(teams, clock)
    await recover(teams)
    row = ledger(teams, delivery_id)
    assert (row.status, row.message_ref) == (DeliveryStatus.SENT, thread)
    assert len(posts_to_channel(teams)) == posts  # nothing posted twice
    [graph] = teams.connector.graph_requests
    assert graph == f"/v1.0/teams/group-1/channels/{CHANNEL['id']}/messages"


async def test_a_card_that_never_arrived_is_sent_once_more(
    teams: Harness, clock: FixedClock
) -> None:
    delivery_id, thread, posts = await crashed_after_sending(teams, clock)
    teams.connector.graph_lost.add(thread.partition(";messageid=")[2])
    await recover(teams)
    row = ledger(teams, delivery_id)
    assert row.status is DeliveryStatus.SENT
    assert row.message_ref != thread
    assert len(posts_to_channel(teams)) == posts + 1


async def test_when_graph_will_not_say_nothing_is_risked(teams: Harness, clock: FixedClock) -> None:
    delivery_id, _, posts = await crashed_after_sending(teams, clock)
    teams.connector.graph_status = 403  # the team never consented to ChannelMessage.Read.Group
    await recover(teams)
    assert ledger(teams, delivery_id).status is DeliveryStatus.CLAIMED
    assert len(posts_to_channel(teams)) == posts


@pytest.mark.parametrize(
    ("env", "reads"),
    [
        ({"teams_allow_anonymous": True}, False),  # local testing: nothing to ask Graph with
        (
            {
                "MICROSOFT_APP_ID": "a",
                "MICROSOFT_APP_PASSWORD": "p",
                "MICROSOFT_APP_TENANT_ID": "t",
            },
            True,
        ),
        (
            {
                "MICROSOFT_APP_ID": "a",
                "MICROSOFT_APP_TYPE": "UserAssignedMSI",
                "MICROSOFT_APP_TENANT_ID": "t",
            },
            False,
        ),
    ],
)
def test_graph_is_asked_only_with_an_app_secret(env: dict[str, object], reads: bool) -> None:
    settings = load_settings(_env_file=None, **env)
    assert (channel_history(settings) is not None) is reads


@pytest.mark.usefixtures("cli")
@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"SIGHTLINE_TEAMS_ALLOW_ANONYMOUS": "true"}, "is sent once more on recovery"),
        ({**APP, "MICROSOFT_APP_PASSWORD": "p"}, "looked for in its channel through"),
    ],
)
def test_prompts_deliveries_says_what_a_crash_mid_send_can_do_in_teams(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], says: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with STATE.session() as session:
        ensure_workspace(
            session=session,
            clock=STATE.runtime.clock,
            platform=Platform.TEAMS,
            external_id=TENANT,
            name="Contoso",
        )
    shown = CliRunner().invoke(app, ["prompts", "deliveries", "--json"], catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    payload = json.loads(shown.output)
    assert payload["deliveries"] == []
    assert says in payload["crash_check"]
