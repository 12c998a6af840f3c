"""Socket Mode: with SLACK_APP_TOKEN the app connects out by WebSocket and needs no URL."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlencode

from slack_bolt.request.async_request import AsyncBoltRequest
from sqlmodel import Session

from bot.slack.socket_inbox import JSON, InboxSocketModeHandler
from tests.conftest import FixedClock
from tests.slack.conftest import SlackHarness, fixture
from tests.slack.test_capture import STORY, stories


async def test_story_command_over_socket_mode(make_harness: object, session: Session) -> None:
    slack: SlackHarness = await make_harness(  # type: ignore[operator]
        SLACK_APP_TOKEN="xapp-1-A0SIGHT01-test", SLACK_SIGNING_SECRET=None
    )
    [opened] = await slack.fake.wait_for("apps.connections.open")
    assert opened.token == "xapp-1-A0SIGHT01-test"
    # Without a signing secret there is nothing to verify HTTP requests with: no endpoint.
    assert (await slack.http.post("/slack/events", content="x")).status_code in (404, 405)

    command = fixture("slash_command")
    command.update(text=STORY, response_url=slack.fake.response_url("sock"))
    payload = dict(parse_qsl(urlencode(command)))
    ack = await slack.fake.socket_send(
        {
            "envelope_id": "env-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": payload,
        }
    )
    assert ack["envelope_id"] == "env-1"
    [reply] = await slack.fake.wait_for("response_url")
    assert reply["response_type"] == "ephemeral"
    [story] = stories(session)
    assert story.text.startswith("A bakery owner")


def _envelope(slack: SlackHarness, envelope_id: str) -> dict[str, object]:
    command = fixture("slash_command")
    command.update(text=STORY, response_url=slack.fake.response_url("sock"))
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": dict(parse_qsl(urlencode(command))),
    }


async def test_a_repeated_envelope_is_acknowledged_and_not_run_again(
    make_harness: object, session: Session
) -> None:
    slack: SlackHarness = await make_harness(  # type: ignore[operator]
        SLACK_APP_TOKEN="xapp-1-A0SIGHT01-test", SLACK_SIGNING_SECRET=None
    )
    await slack.fake.wait_for("apps.connections.open")
    first = _envelope(slack, "env-1")
    assert (await slack.fake.socket_send(first))["envelope_id"] == "env-1"
    await slack.fake.wait_for("response_url")
    again = {**first, "envelope_id": "env-2"}  # Slack sends the same payload once more
    assert (await slack.fake.socket_send(again))["envelope_id"] == "env-2"
    assert len(stories(session)) == 1
    assert len(slack.fake.calls_to("response_url")) == 1


async def test_an_envelope_recorded_but_never_done_is_replayed_once(
    make_harness: object, session: Session, clock: FixedClock
) -> None:
    # Replays here are this test's own: the inbox's background pass waits half an hour.
    slack: SlackHarness = await make_harness(  # type: ignore[operator]
        SLACK_APP_TOKEN="xapp-1-A0SIGHT01-test", SLACK_SIGNING_SECRET=None, inbox_stale_seconds=3600
    )
    await slack.fake.wait_for("apps.connections.open")
    handler = slack.platform.socket_handler
    assert isinstance(handler, InboxSocketModeHandler)
    # What a process killed right after recording (and acknowledging) leaves behind.
    payload = _envelope(slack, "env-1")["payload"]
    raw = json.dumps(payload)
    read = AsyncBoltRequest(mode="socket_mode", body=raw, headers=dict(JSON))
    assert await handler.inbox.accept(read, raw, JSON) is not None
    assert stories(session) == []

    clock.advance(seconds=slack.runtime.settings.inbox_stale_seconds + 1)
    assert await slack.platform.inbox.replay_stale() == 1
    await slack.fake.wait_for("response_url")
    await slack.platform.listeners.drain()  # the listener's work is done, and so its record
    assert [s.text[:14] for s in stories(session)] == ["A bakery owner"]
    clock.advance(seconds=slack.runtime.settings.inbox_stale_seconds + 1)
    assert await slack.platform.inbox.replay_stale() == 0  # done: never replayed again
