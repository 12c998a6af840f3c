"""The fake Slack Web API answers real slack_sdk clients the way Slack does."""

from __future__ import annotations

import time

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import FakeSlackAPI


async def test_records_calls_with_params_json_and_token(fake_slack: FakeSlackAPI) -> None:
    client = AsyncWebClient(token="xoxb-1", base_url=fake_slack.url)
    posted = await client.chat_postMessage(channel="C1", text="hi", blocks=[{"type": "divider"}])
    assert posted["ts"].startswith("1790000000.")
    await client.users_info(user="U1")  # a GET with query parameters
    post, info = fake_slack.calls
    assert (post.method, post["channel"], post.token) == ("chat.postMessage", "C1", "xoxb-1")
    assert post.json is not None
    assert post.json["blocks"] == [{"type": "divider"}]
    assert (info.method, info["user"]) == ("users.info", "U1")
    history = await client.conversations_history(channel="C1")
    assert [m["text"] for m in history["messages"]] == ["hi"]


async def test_queued_answers_errors_and_token_checks(fake_slack: FakeSlackAPI) -> None:
    client = AsyncWebClient(token="xoxb-1", base_url=fake_slack.url)
    fake_slack.respond("auth.test", {"ok": True, "team_id": "T9"})
    assert (await client.auth_test())["team_id"] == "T9"
    assert (await client.auth_test())["team_id"] == fake_slack.team_id  # back to default
    fake_slack.fail("chat.update", "message_not_found")
    with pytest.raises(SlackApiError) as raised:
        await client.chat_update(channel="C1", ts="1.2", text="x")
    assert raised.value.response["error"] == "message_not_found"
    fake_slack.valid_tokens = {"xoxb-good"}
    with pytest.raises(SlackApiError):
        await client.auth_test()


async def test_rate_limit_answers_429_with_retry_after(fake_slack: FakeSlackAPI) -> None:
    plain = AsyncWebClient(token="t", base_url=fake_slack.url, retry_handlers=[])
    fake_slack.rate_limit("chat.postMessage", times=1, retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        await plain.chat_postMessage(channel="C1", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"

    retrying = AsyncWebClient(
        token="t",
        base_url=fake_slack.url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    fake_slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    started = time.perf_counter()
    assert (await retrying.chat_postMessage(channel="C1", text="x"))["ok"]
    assert time.perf_counter() - started >= 0.9
