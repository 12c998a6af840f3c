"""Slack's welcome, once per install: the first visit to the Messages tab, and Sightline
being added to a channel (anyone else joining says nothing). Decided by the same core as
Teams' (tests/teams/test_teams_welcome.py)."""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.fakes.slack_api import BOT_USER_ID
from tests.slack.conftest import SlackHarness, fixture


def opened(tab: str, event_id: str) -> dict[str, Any]:
    event = copy.deepcopy(fixture("app_home_opened"))
    event["event"]["tab"] = tab
    event["event_id"] = event_id
    return event


def joined(user: str, event_id: str, channel: str = "C0FINANCE") -> dict[str, Any]:
    event = copy.deepcopy(fixture("app_home_opened"))
    event["event"] = {
        "type": "member_joined_channel",
        "user": user,
        "channel": channel,
        "channel_type": "C",
        "team": "T0SIGHT01",
        "inviter": "U0LENA001",
        "event_ts": "1790000500.000100",
    }
    event["event_id"] = event_id
    return event


async def posts(slack: SlackHarness) -> list[tuple[str, str]]:
    await slack.platform.listeners.drain()
    return [
        (str(c["channel"]), json.dumps(c.params.get("blocks")))
        for c in slack.fake.calls_to("chat.postMessage")
    ]


async def test_the_messages_tab_welcomes_once_with_three_things_to_try(
    slack: SlackHarness,
) -> None:
    await slack.event(opened("messages", "Ev1"))
    [(channel, blocks)] = await posts(slack)
    assert channel == "D0ALICE01"
    assert "Welcome to Sightline" in blocks
    for tip in ("/story", "/story search refund", "/story home"):
        assert tip in blocks
    await slack.event(opened("messages", "Ev2"))  # opened again: nothing more
    await slack.event(opened("home", "Ev3"))  # the Home tab still shows Home
    await slack.fake.wait_for("views.publish")
    assert len(await posts(slack)) == 1


async def test_sightline_added_to_a_channel_says_how_to_start_there(slack: SlackHarness) -> None:
    await slack.event(joined("U0BEN0001", "Ev4"))  # someone else joining: not our install
    assert await posts(slack) == []
    await slack.event(joined(BOT_USER_ID, "Ev5"))
    [(channel, blocks)] = await posts(slack)
    assert channel == "C0FINANCE"
    assert "/cx department link Finance" in blocks
    assert "/story &lt;what happened&gt;" in blocks  # shown as typed, escaped for mrkdwn
