"""Socket Mode: with SLACK_APP_TOKEN the app connects out by WebSocket and needs no URL."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from sqlmodel import Session

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
