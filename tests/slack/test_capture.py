"""/story capture over real signed HTTP: text, modal, validation, request verification."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from sqlmodel import Session, select

from handlers.slack import blocks as kit
from handlers.slack import forms
from stories.models import AuditEvent, Member, Platform, SourceKind, Story, Workspace
from tests.slack.conftest import STORIES_CHANNEL, SlackHarness, fixture, sign

STORY = "A bakery owner called because our refund took three weeks; she nearly lost her shop."


def stories(session: Session) -> list[Story]:
    session.expire_all()
    return list(session.exec(select(Story)))


async def eventually_posted(session: Session) -> Story:
    """The only story, once its stories-channel post reference is stored."""
    for _ in range(100):
        found = stories(session)
        if found and found[0].channel_post_ref:
            return found[0]
        await asyncio.sleep(0.02)
    raise AssertionError("the story was never posted to the stories channel")


def submission(
    *,
    text: str = STORY,
    label: str = "",
    touchpoint: str = "",
    emotion: str | None = None,
    share: bool = False,
    metadata: dict[str, Any] | None = None,
    callback: str = forms.CAPTURE_CALLBACK,
) -> dict[str, Any]:
    payload = fixture("view_submission")
    payload["view"]["callback_id"] = callback
    payload["view"]["private_metadata"] = json.dumps(metadata or {})
    payload["view"]["state"]["values"] = {
        forms.STORY_BLOCK: {forms.STORY_ACTION: {"type": "plain_text_input", "value": text}},
        forms.LABEL_BLOCK: {
            forms.LABEL_ACTION: {"type": "plain_text_input", "value": label or None}
        },
        forms.TOUCHPOINT_BLOCK: {
            forms.TOUCHPOINT_ACTION: {"type": "plain_text_input", "value": touchpoint or None}
        },
        forms.EMOTION_BLOCK: {
            forms.EMOTION_ACTION: {
                "type": "static_select",
                "selected_option": {"value": emotion} if emotion else None,
            }
        },
        forms.SHARE_BLOCK: {
            forms.SHARE_ACTION: {
                "type": "checkboxes",
                "selected_options": [{"value": forms.SHARE_VALUE}] if share else [],
            }
        },
    }
    return payload


async def test_story_with_text_is_captured_redacted_and_answered_ephemerally(
    slack: SlackHarness, session: Session
) -> None:
    response = await slack.command(STORY + " Call her on +44 20 7946 0958.")
    assert response.status_code == 200

    [reply] = [c.json for c in await slack.fake.wait_for("response_url")]
    assert reply is not None
    assert reply["response_type"] == "ephemeral"
    [story] = stories(session)
    assert "7946" not in story.text
    assert story.redaction_count >= 1
    assert story.source_kind is SourceKind.SLASH
    assert story.channel_id == "C0PUBLIC1"
    assert not story.channel_private
    assert story.shared
    rendered = json.dumps(reply["blocks"])
    assert "7946" not in rendered
    assert "refund took three weeks" in rendered
    buttons = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {(b["action_id"], b["value"]) for b in buttons} == {
        (kit.EDIT_ACTION, str(story.id)),
        (kit.DELETE_ACTION, str(story.id)),
    }
    # The author and the workspace come from the request's user and team ids.
    workspace = session.exec(select(Workspace)).one()
    assert (workspace.platform, workspace.external_id) == (Platform.SLACK, "T0SIGHT01")
    member = session.get(Member, story.author_member_id)
    assert member is not None
    assert member.platform_user_id == "U0ALICE01"
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "story.captured")).one()


async def test_public_story_is_posted_to_the_stories_channel_once(
    slack: SlackHarness, session: Session
) -> None:
    await slack.command(STORY)
    [post] = await slack.fake.wait_for("chat.postMessage")
    assert post["channel"] == STORIES_CHANNEL
    actions = [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert actions[0]["action_id"] == kit.RESONATES_ACTION
    story = await eventually_posted(session)
    assert story.channel_post_ref is not None
    assert story.channel_post_ref.startswith(f"{STORIES_CHANNEL}:1790000000.")
    await asyncio.sleep(0.1)
    assert len(slack.fake.calls_to("chat.postMessage")) == 1


async def test_private_channel_story_is_not_posted_publicly(
    slack: SlackHarness, session: Session
) -> None:
    await slack.command(STORY, channel="C0PRIVATE", channel_name="privategroup")
    await slack.fake.wait_for("response_url")
    await asyncio.sleep(0.2)
    [story] = stories(session)
    assert story.channel_private
    assert not story.shared
    assert slack.fake.calls_to("chat.postMessage") == []


async def test_validation_error_is_a_friendly_ephemeral_message(
    slack: SlackHarness, session: Session
) -> None:
    await slack.command("too short")
    [reply] = await slack.fake.wait_for("response_url")
    assert reply["response_type"] == "ephemeral"
    assert "too short" in reply["text"]
    assert stories(session) == []


async def test_story_alone_opens_the_capture_modal(slack: SlackHarness) -> None:
    response = await slack.command("", trigger_id="42.7384.the-trigger")
    assert response.status_code == 200
    [call] = await slack.fake.wait_for("views.open")
    assert call["trigger_id"] == "42.7384.the-trigger"
    view = call["view"] if isinstance(call["view"], dict) else json.loads(call["view"])
    assert view["callback_id"] == forms.CAPTURE_CALLBACK
    block_ids = [b["block_id"] for b in view["blocks"]]
    assert block_ids == [
        forms.STORY_BLOCK,
        forms.LABEL_BLOCK,
        forms.TOUCHPOINT_BLOCK,
        forms.EMOTION_BLOCK,
        forms.SHARE_BLOCK,
    ]
    assert json.loads(view["private_metadata"])["channel"] == "C0PUBLIC1"


async def test_modal_errors_come_back_on_the_right_block(
    slack: SlackHarness, session: Session
) -> None:
    response = await slack.interaction(submission(text="short", touchpoint="!!!"))
    assert response.status_code == 200
    body = response.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {forms.STORY_BLOCK, forms.TOUCHPOINT_BLOCK}
    assert "too short" in body["errors"][forms.STORY_BLOCK]
    assert stories(session) == []


async def test_modal_submission_captures_every_field(slack: SlackHarness, session: Session) -> None:
    payload = submission(
        label="Small bakery",
        touchpoint="Refunds & Billing",
        emotion="frustrated",
        share=True,
        metadata={"channel": "C0PUBLIC1", "private": False},
    )
    response = await slack.interaction(payload)
    assert response.status_code == 200
    assert response.text == ""
    [told] = await slack.fake.wait_for("chat.postEphemeral")
    assert told["user"] == "U0ALICE01"
    assert told["channel"] == "C0PUBLIC1"
    [story] = stories(session)
    assert (story.customer_label, story.touchpoint, story.emotion) == (
        "Small bakery",
        "refunds-billing",
        "frustrated",
    )
    assert story.source_kind is SourceKind.MODAL
    assert story.shared


async def test_bad_signature_stale_and_malformed_requests_get_401(
    slack: SlackHarness, session: Session
) -> None:
    body = "command=%2Fstory&text=" + "x" * 40 + "&team_id=T0SIGHT01&user_id=U1&trigger_id=t"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    wrong = {**form, **sign(body, secret="not-the-secret")}
    stale = {**form, **sign(body, timestamp=int(time.time()) - 6 * 60)}
    tampered = {**form, **sign(body)}
    garbage = {**form, **sign(body), "X-Slack-Request-Timestamp": "yesterday"}
    unsigned = form
    for headers, content in (
        (wrong, body),
        (stale, body),
        (tampered, body + "&extra=1"),
        (garbage, body),
        (unsigned, body),
    ):
        response = await slack.http.post("/slack/events", content=content, headers=headers)
        assert response.status_code == 401, headers
    await asyncio.sleep(0.1)
    assert stories(session) == []
    assert [c.method for c in slack.fake.calls if c.method != "auth.test"] == []


async def test_ack_does_not_wait_for_a_slow_slack_api_or_database_work(
    slack: SlackHarness, session: Session
) -> None:
    slack.fake.delay("conversations.info", 2.5)
    started = time.perf_counter()
    response = await slack.command(STORY)
    assert response.status_code == 200
    assert time.perf_counter() - started < 1.0
    await slack.fake.wait_for("response_url", timeout=6)
    assert len(stories(session)) == 1


async def test_rate_limited_calls_are_retried_after_retry_after(
    slack: SlackHarness, session: Session
) -> None:
    slack.fake.rate_limit("chat.postMessage", times=2, retry_after=0)
    await slack.command(STORY)
    calls = await slack.fake.wait_for("chat.postMessage", 3)
    assert len(calls) == 3  # two 429s, then the post that went through
    assert (await eventually_posted(session)).channel_post_ref is not None


async def test_every_web_api_call_goes_to_the_configured_url_with_the_bot_token(
    slack: SlackHarness,
) -> None:
    await slack.command(STORY)
    await slack.fake.wait_for("chat.postMessage")
    api_calls = [c for c in slack.fake.calls if c.method != "response_url"]
    assert api_calls
    assert all(c.token == "xoxb-T0SIGHT01-test" for c in api_calls)
