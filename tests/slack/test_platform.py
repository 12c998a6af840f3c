"""Which Slack mode runs, and that Slack never sees a 500."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.app import build_sightline
from bot.settings import load_settings
from bot.slack import authorization_url, slack_mode
from stories.clock import FixedClock
from tests.slack.conftest import SIGNING_SECRET, SlackHarness, fixture, sign
from tests.slack.test_capture import STORY, eventually_posted, stories


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({}, None),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, None),  # no signing secret, no app token
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, "single"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, "single"),
        (
            {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c", "SLACK_SIGNING_SECRET": "s"},
            "oauth",
        ),
        ({"SLACK_CLIENT_ID": "1.2", "SLACK_SIGNING_SECRET": "s"}, None),
    ],
)
def test_mode_is_decided_from_settings(env: dict[str, Any], mode: str | None) -> None:
    assert slack_mode(load_settings(_env_file=None, **env)) == mode


def test_authorization_page_is_on_the_api_host() -> None:
    assert (
        authorization_url(load_settings(_env_file=None)) == "https://slack.com/oauth/v2/authorize"
    )
    gov = load_settings(_env_file=None, slack_api_url="https://slack-gov.com/api/")
    assert authorization_url(gov) == "https://slack-gov.com/oauth/v2/authorize"


def test_platforms_include_slack_only_when_configured(engine: Engine, clock: FixedClock) -> None:
    bare = build_sightline(load_settings(_env_file=None), engine=engine, clock=clock)
    assert [p.name for p in bare.platforms] == []
    assert bare.scheduler is None
    configured = load_settings(
        _env_file=None, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET=SIGNING_SECRET
    )
    app = build_sightline(configured, engine=engine, clock=clock)
    assert [p.name for p in app.platforms] == ["slack"]
    # One sender per platform, shared by the listeners and the scheduler.
    assert app.scheduler is not None
    assert app.scheduler.senders == app.senders


async def test_malformed_signed_requests_never_get_a_500(
    slack: SlackHarness, session: Session
) -> None:
    cases = [
        ("{not json", "application/json"),
        ("payload=%7Bbroken", "application/x-www-form-urlencoded"),
        ("payload=" + json.dumps({"type": "block_actions"}), "application/x-www-form-urlencoded"),
        ("", "application/x-www-form-urlencoded"),
        (
            json.dumps({"type": "event_callback", "event": {"type": "reaction_added"}}),
            "application/json",
        ),
    ]
    for body, content_type in cases:
        response = await slack.post(body, content_type)
        assert response.status_code < 500, (body, response.status_code)
    assert stories(session) == []


async def test_url_verification_challenge_is_answered(slack: SlackHarness) -> None:
    body = json.dumps(
        {"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV", "token": "x"}
    )
    response = await slack.post(body, "application/json")
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV"}


async def test_listener_failure_after_ack_still_answers_200_and_tells_the_person(
    slack: SlackHarness, session: Session
) -> None:
    # The database vanishes under the app: the ack is already sent, the person is told.
    slack.runtime.engine.dispose()
    slack.runtime.engine = _BrokenEngine()  # type: ignore[assignment]
    started = time.perf_counter()
    response = await slack.command(STORY)
    assert response.status_code == 200
    assert time.perf_counter() - started < 1.0
    [reply] = await slack.fake.wait_for("response_url")
    assert "Sorry" in reply["text"]


class _BrokenEngine:
    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("database is gone")


async def test_rate_limit_waits_for_retry_after(slack: SlackHarness, session: Session) -> None:
    slack.fake.rate_limit("chat.postMessage", times=1, retry_after=1)
    await slack.command(STORY)
    await slack.fake.wait_for("chat.postMessage", 1)
    first = time.perf_counter()
    await slack.fake.wait_for("chat.postMessage", 2, timeout=5)
    assert time.perf_counter() - first >= 0.9  # the Retry-After second was honoured
    await eventually_posted(session)


async def test_retried_event_delivery_is_acknowledged_without_rerunning(
    slack: SlackHarness, session: Session
) -> None:
    event = fixture("app_home_opened")
    assert (await slack.event(event)).status_code == 200
    await slack.fake.wait_for("views.publish")
    assert (await slack.event(event, retry=1)).status_code == 200
    assert (await slack.event(event, retry=2)).status_code == 200
    await asyncio.sleep(0.2)
    assert len(slack.fake.calls_to("views.publish")) == 1


def test_signature_helper_matches_slacks_documented_example() -> None:
    # From Slack's "Verifying requests" guide.
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
        "channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
        "command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
        "commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
        "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    headers = sign(body, secret="8f742231b10e8888abcd99yyyzzz85a5", timestamp=1531420618)
    assert headers["X-Slack-Signature"] == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


async def test_single_workspace_uninstall_is_acknowledged_and_logged(
    slack: SlackHarness, caplog: pytest.LogCaptureFixture
) -> None:
    event = fixture("app_home_opened")
    event.update(event_id="Ev0GONE0001", event={"type": "app_uninstalled", "event_ts": "1.2"})
    response = await slack.event(event)
    assert response.status_code == 200
    for _ in range(50):
        if "SLACK_BOT_TOKEN no longer works" in caplog.text:
            break
        await asyncio.sleep(0.02)
    assert "SLACK_BOT_TOKEN no longer works" in caplog.text
