"""/story search, random and help; Edit and Delete from the capture reply."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlmodel import Session, select

from handlers.slack import blocks as kit
from handlers.slack import forms
from stories.models import Member, Story
from tests.slack.conftest import STORIES_CHANNEL, SlackHarness, fixture
from tests.slack.test_capture import STORY, eventually_posted, stories, submission

REFUNDS = [
    f"Customer {n} waited weeks for a refund after the billing system double charged them."
    for n in range(7)
]


async def capture_all(slack: SlackHarness, texts: list[str], **kwargs: Any) -> None:
    before = len(slack.fake.calls_to("response_url"))
    for n, text in enumerate(texts):
        await slack.command(text, response_key=f"cap{n}", **kwargs)
    await slack.fake.wait_for("response_url", before + len(texts))


def button_values(blocks: list[dict[str, Any]], action_id: str) -> list[str]:
    return [
        e["value"]
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    ]


def action(payload_user: str, action_id: str, value: str, *, response_key: str) -> dict[str, Any]:
    payload = fixture("block_actions")
    payload["user"]["id"] = payload_user
    payload["actions"][0].update(action_id=action_id, value=value)
    payload["response_url"] = f"{response_key}"
    return payload


async def test_search_is_ephemeral_and_paged_with_more(slack: SlackHarness) -> None:
    await capture_all(
        slack, [*REFUNDS, "Onboarding took a delightful ten minutes for the new shop."]
    )
    slack.fake.reset_calls()
    await slack.command("search refund", response_key="s1")
    [page1] = slack.fake.responses() or [c.json for c in await slack.fake.wait_for("response_url")]
    assert page1["response_type"] == "ephemeral"
    assert "Onboarding" not in json.dumps(page1["blocks"])
    assert json.dumps(page1["blocks"]).count("double charged") == 5
    [more] = button_values(page1["blocks"], kit.MORE_ACTION)
    assert json.loads(more) == {"q": "refund", "o": 5}

    payload = action("U0ALICE01", kit.MORE_ACTION, more, response_key="")
    payload["response_url"] = slack.fake.response_url("more")
    await slack.interaction(payload)
    calls = await slack.fake.wait_for("response_url", 2)
    page2 = calls[-1].json
    assert page2 is not None
    assert page2["replace_original"] is True
    assert json.dumps(page2["blocks"]).count("double charged") == 2
    assert button_values(page2["blocks"], kit.MORE_ACTION) == []


async def test_search_without_words_explains_how(slack: SlackHarness) -> None:
    await slack.command("search  -- ", response_key="s")
    [reply] = await slack.fake.wait_for("response_url")
    assert reply["response_type"] == "ephemeral"
    assert "at least one word" in reply["text"]


async def test_private_stories_are_found_only_by_their_teller(
    slack: SlackHarness,
) -> None:
    await capture_all(slack, REFUNDS[:1], channel="C0PRIV", channel_name="privategroup")
    slack.fake.reset_calls()
    await slack.command("search refund", user="U0OTHER01")
    [other] = await slack.fake.wait_for("response_url")
    assert "double charged" not in json.dumps(other["blocks"])
    await slack.command("search refund", user="U0ALICE01")
    calls = await slack.fake.wait_for("response_url", 2)
    assert "double charged" in json.dumps(calls[-1].json)


async def test_random_and_help(slack: SlackHarness) -> None:
    await slack.command("random", response_key="empty")
    [empty] = await slack.fake.wait_for("response_url")
    assert "No stories yet" in json.dumps(empty["blocks"])
    await capture_all(slack, [STORY])
    await slack.command("random", response_key="one")
    await slack.command("help", response_key="help")
    calls = await slack.fake.wait_for("response_url", 4)
    by_key = {c["key"]: c.json for c in calls}
    assert "refund took three weeks" in json.dumps(by_key["one"])
    help_text = json.dumps(by_key["help"])
    for words in ("/story search", "/story random", "Save as customer story", "Home"):
        assert words in help_text


async def test_author_deletes_a_story_and_its_channel_post_is_edited(
    slack: SlackHarness, session: Session
) -> None:
    await slack.command(STORY)
    post_ref = (await eventually_posted(session)).channel_post_ref
    [reply] = slack.fake.responses()
    [delete_value] = button_values(reply["blocks"], kit.DELETE_ACTION)

    stranger = action("U0MALLORY", kit.DELETE_ACTION, delete_value, response_key="")
    stranger["response_url"] = slack.fake.response_url("stranger")
    await slack.interaction(stranger)
    calls = await slack.fake.wait_for("response_url", 2)
    assert "only the author or a CX lead" in (calls[-1].json or {})["text"]
    assert len(stories(session)) == 1

    mine = action("U0ALICE01", kit.DELETE_ACTION, delete_value, response_key="")
    mine["response_url"] = slack.fake.response_url("mine")
    await slack.interaction(mine)
    await slack.fake.wait_for("chat.update")
    assert stories(session) == []
    [update] = slack.fake.calls_to("chat.update")
    assert post_ref == f"{update['channel']}:{update['ts']}"
    assert "deleted" in json.dumps(update["blocks"])
    confirmation = slack.fake.responses()[-1]
    assert confirmation["replace_original"] is True
    await slack.command("search refund", response_key="after")
    calls = await slack.fake.wait_for("response_url", 4)
    assert "three weeks" not in json.dumps(calls[-1].json)


async def test_cx_lead_may_edit_and_the_channel_post_follows(
    slack: SlackHarness, session: Session
) -> None:
    await slack.command(STORY)
    story = await eventually_posted(session)
    lead = Member(
        workspace_id=story.workspace_id,
        platform_user_id="U0LEAD001",
        is_cx_lead=True,
        created_at=story.created_at,
    )
    session.add(lead)
    session.commit()
    click = action("U0LEAD001", kit.EDIT_ACTION, str(story.id), response_key="")
    click["response_url"] = slack.fake.response_url("edit")
    await slack.interaction(click)
    [opened] = await slack.fake.wait_for("views.open")
    view = opened["view"]
    assert view["callback_id"] == forms.EDIT_CALLBACK
    metadata = json.loads(view["private_metadata"])
    assert metadata["story_id"] == story.id
    assert view["blocks"][0]["element"]["initial_value"] == story.text

    new_text = "A bakery owner waited three weeks for a refund and told twelve friends."
    payload = submission(
        text=new_text,
        touchpoint="refunds",
        share=True,
        metadata=metadata,
        callback=forms.EDIT_CALLBACK,
    )
    payload["user"]["id"] = "U0LEAD001"
    await slack.interaction(payload)
    [update] = await slack.fake.wait_for("chat.update")
    assert "twelve friends" in json.dumps(update["blocks"])
    assert f"{update['channel']}:{update['ts']}" == story.channel_post_ref
    session.expire_all()
    edited = session.exec(select(Story)).one()
    assert edited.text == new_text
    assert edited.touchpoint == "refunds"


async def test_edit_modal_errors_point_at_the_story_block(slack: SlackHarness) -> None:
    payload = submission(text="", metadata={"story_id": 1}, callback=forms.EDIT_CALLBACK)
    response = await slack.interaction(payload)
    assert response.json()["response_action"] == "errors"
    assert list(response.json()["errors"]) == [forms.STORY_BLOCK]


async def test_nobody_else_can_open_the_edit_modal(slack: SlackHarness, session: Session) -> None:
    await slack.command(STORY)
    story = await eventually_posted(session)
    click = action("U0MALLORY", kit.EDIT_ACTION, str(story.id), response_key="")
    click["response_url"] = slack.fake.response_url("no")
    await slack.interaction(click)
    calls = await slack.fake.wait_for("response_url", 2)
    assert "only the author" in (calls[-1].json or {})["text"]
    await asyncio.sleep(0.1)
    assert slack.fake.calls_to("views.open") == []
    assert STORIES_CHANNEL  # the post is untouched
    assert slack.fake.calls_to("chat.update") == []
