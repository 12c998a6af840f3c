"""Line-of-sight prompts delivered to Slack, answered in Slack, and told to the storyteller."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.scheduler import PromptScheduler
from handlers.slack import forms
from handlers.slack import prompt_cards as cards
from stories.capture import StoryDraft, capture_story
from stories.departments import DepartmentSpec, add_department
from stories.models import (
    DeliveryStatus,
    Department,
    Platform,
    PromptAnswer,
    PromptDelivery,
    SourceKind,
    StoryFeedback,
)
from stories.prompt_members import set_override
from stories.workspaces import ensure_member, ensure_workspace
from tests.slack.conftest import SlackHarness, fixture

TEAM = "T0SIGHT01"  # the team of every fixture payload
FINANCE_CHANNEL = "C0FINANCE"
AUTHOR = "U0AUTHOR1"
ANSWERER = "U0BOB0001"


def _seed(slack: SlackHarness, session: Session) -> Department:
    rt = slack.runtime
    workspace = ensure_workspace(
        session=session, clock=rt.clock, platform=Platform.SLACK, external_id=TEAM, name="Test"
    )
    ws = workspace.id or 0
    author = ensure_member(
        session=session, clock=rt.clock, workspace_id=ws, platform_user_id=AUTHOR
    )
    capture_story(
        session=session,
        clock=rt.clock,
        redactor=rt.redactor,
        draft=StoryDraft(
            workspace_id=ws,
            text="A florist was charged twice for her plan and her card was declined at market.",
            source_kind=SourceKind.SLASH,
            touchpoint="billing",
            author_member_id=author.id,
            shared=True,
        ),
    )
    return add_department(
        session=session,
        clock=rt.clock,
        workspace_id=ws,
        spec=DepartmentSpec(name="Finance", slack_channel_id=FINANCE_CHANNEL),
    )


def _scheduler(slack: SlackHarness) -> PromptScheduler:
    # The app's own sender: the one its listeners use, built once.
    return PromptScheduler(slack.runtime, slack.sightline.senders, instance="test")


def _action(slack: SlackHarness, user: str, action_id: str, value: str) -> dict[str, Any]:
    payload = fixture("block_actions")
    payload["user"]["id"] = user
    payload["actions"][0].update(action_id=action_id, value=value)
    payload["response_url"] = slack.fake.response_url("prompt-action")
    return payload


def _answer(user: str, delivery_id: int, text: str) -> dict[str, Any]:
    payload = fixture("view_submission")
    payload["user"]["id"] = user
    payload["view"]["callback_id"] = forms.ANSWER_CALLBACK
    payload["view"]["private_metadata"] = str(delivery_id)
    payload["view"]["state"]["values"] = {
        forms.ANSWER_BLOCK: {forms.ANSWER_INPUT: {"type": "plain_text_input", "value": text}}
    }
    return payload


def _ledger_ref(session: Session, delivery_id: int) -> str:
    session.expire_all()
    delivery = session.get(PromptDelivery, delivery_id)
    assert delivery is not None
    assert delivery.message_ref is not None
    return delivery.message_ref


async def _eventually(predicate: Any) -> None:
    for _ in range(200):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the expected Slack call never came")


async def test_prompt_is_posted_with_metadata_and_found_again(
    slack: SlackHarness, session: Session
) -> None:
    department = _seed(slack, session)
    outcome = await _scheduler(slack).send_now(department_id=department.id or 0)
    assert outcome.status is DeliveryStatus.SENT
    [post] = slack.fake.calls_to("chat.postMessage")
    assert post.params["channel"] == FINANCE_CHANNEL
    assert post.params["metadata"] == {
        "event_type": "sightline_prompt",
        "event_payload": {"delivery_id": outcome.delivery_id},
    }
    buttons = [e for b in post.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (cards.ANSWER_ACTION, str(outcome.delivery_id)),
        (cards.NOT_RELEVANT_ACTION, str(outcome.delivery_id)),
    ]
    assert "florist" in str(post.params["blocks"])

    # After a crash between Slack's answer and the ledger update, the post is recognised.
    assert outcome.message is not None
    sender = slack.sightline.senders["slack"]
    ref = await sender.find_sent(message=outcome.message)
    assert ref is not None
    assert ref == _ledger_ref(session, outcome.delivery_id)
    assert ref.startswith(f"{FINANCE_CHANNEL}:")


async def test_answer_is_stored_posted_in_thread_and_told_to_the_author(
    slack: SlackHarness, session: Session
) -> None:
    department = _seed(slack, session)
    outcome = await _scheduler(slack).send_now(department_id=department.id or 0)
    prompt_ts = _ledger_ref(session, outcome.delivery_id).partition(":")[2]

    await slack.interaction(_action(slack, ANSWERER, cards.ANSWER_ACTION, str(outcome.delivery_id)))
    [opened] = await slack.fake.wait_for("views.open")
    assert opened.params["view"]["callback_id"] == forms.ANSWER_CALLBACK
    assert opened.params["view"]["private_metadata"] == str(outcome.delivery_id)

    response = await slack.interaction(
        _answer(
            ANSWERER,
            outcome.delivery_id,
            "Our refund batch runs weekly; call me on +44 20 7946 0958 and we can make it daily.",
        ),
    )
    assert response.status_code == 200
    await _eventually(lambda: len(slack.fake.calls_to("chat.postMessage")) >= 3)
    session.expire_all()
    [answer] = session.exec(select(PromptAnswer)).all()
    assert answer.text.endswith("call me on [phone] and we can make it daily.")
    posts = slack.fake.calls_to("chat.postMessage")
    in_thread = [p for p in posts if p.params.get("thread_ts") == prompt_ts]
    assert len(in_thread) == 1
    assert "[phone]" in str(in_thread[0].params["blocks"])
    [dm_open] = slack.fake.calls_to("conversations.open")
    assert dm_open.params["users"] == AUTHOR
    dm = [p for p in posts if p.params["channel"] == f"D{AUTHOR}"]
    assert len(dm) == 1
    assert "Finance" in str(dm[0].params["blocks"])


async def test_author_can_switch_notices_off(slack: SlackHarness, session: Session) -> None:
    department = _seed(slack, session)
    outcome = await _scheduler(slack).send_now(department_id=department.id or 0)
    await slack.interaction(_action(slack, AUTHOR, cards.NOTICES_OFF_ACTION, "off"))
    await slack.fake.wait_for("response_url")
    await slack.interaction(_answer(ANSWERER, outcome.delivery_id, "We will fix the batch."))
    await _eventually(lambda: len(slack.fake.calls_to("chat.postMessage")) >= 2)
    await asyncio.sleep(0.2)
    assert slack.fake.calls_to("conversations.open") == []


async def test_too_short_answer_comes_back_on_the_input(
    slack: SlackHarness, session: Session
) -> None:
    department = _seed(slack, session)
    outcome = await _scheduler(slack).send_now(department_id=department.id or 0)
    response = await slack.interaction(_answer(ANSWERER, outcome.delivery_id, " "))
    assert response.json()["response_action"] == "errors"
    assert forms.ANSWER_BLOCK in response.json()["errors"]
    assert session.exec(select(PromptAnswer)).all() == []


async def test_not_relevant_lowers_the_story_for_that_department(
    slack: SlackHarness, session: Session
) -> None:
    department = _seed(slack, session)
    outcome = await _scheduler(slack).send_now(department_id=department.id or 0)
    await slack.interaction(
        _action(slack, ANSWERER, cards.NOT_RELEVANT_ACTION, str(outcome.delivery_id))
    )
    [reply] = await slack.fake.wait_for("response_url")
    assert "less often" in reply["text"]
    session.expire_all()
    [feedback] = session.exec(select(StoryFeedback)).all()
    assert feedback.department_id == department.id


REFUSALS = [("is_archived", "archived"), ("not_in_channel", "invite @Sightline")]


@pytest.mark.parametrize(("error", "reason"), REFUSALS)
async def test_refused_channel_is_recorded_with_a_reason(
    slack: SlackHarness, session: Session, error: str, reason: str
) -> None:
    department = _seed(slack, session)
    slack.fake.fail("chat.postMessage", error)
    outcome = await _scheduler(slack).send_now(department_id=department.id or 0)
    assert outcome.status is DeliveryStatus.FAILED
    assert reason in (outcome.reason or "")


async def test_fan_out_keeps_the_workspace_pace(
    make_harness: Any, session: Session, clock: Any
) -> None:
    # Six prompts at once against a 2/s allowance: unpaced, four would meet a 429.
    slack: SlackHarness = await make_harness(slack_post_rate=2.0)
    department = _seed(slack, session)
    rt = slack.runtime
    for n in range(5):
        add_department(
            session=session,
            clock=rt.clock,
            workspace_id=department.workspace_id,
            spec=DepartmentSpec(name=f"Legal {n}", slack_channel_id=f"C0LEGAL{n}"),
        )
    slack.fake.enforce_rate("chat.postMessage", 2.0)
    scheduler = _scheduler(slack)
    departments = session.exec(select(Department)).all()
    outcomes = await asyncio.gather(
        *(scheduler.send_now(department_id=d.id or 0) for d in departments)
    )
    assert {o.status for o in outcomes} == {DeliveryStatus.SENT}
    assert slack.fake.ceilings["chat.postMessage"].rejected == 0


async def test_lead_sends_a_prompt_now_with_cx(make_harness: Any, session: Session) -> None:
    from tests.slack.test_cx import cx

    slack: SlackHarness = await make_harness(cx_leads="U0LEAD001")
    _seed(slack, session)
    answer = await cx(slack, "prompt now finance", user="U0LEAD001", key="now")
    assert "Sent Finance a prompt" in str(answer)
    posts = [c for c in slack.fake.calls_to("chat.postMessage") if c.params.get("metadata")]
    assert [p.params["channel"] for p in posts] == [FINANCE_CHANNEL]
    session.expire_all()
    [delivery] = session.exec(select(PromptDelivery)).all()
    assert delivery.kind == "manual"
    assert delivery.status is DeliveryStatus.SENT

    unknown = await cx(slack, "prompt now marketing", user="U0LEAD001", key="unknown")
    assert "No department found" in str(unknown)
    refused = await cx(slack, "prompt now finance", user=ANSWERER, key="refused")
    assert "for CX leads" in str(refused)
    assert len(session.exec(select(PromptDelivery)).all()) == 1


async def test_rosters_come_from_channel_members_and_unreadable_ones_are_flagged(
    slack: SlackHarness, session: Session
) -> None:
    from stories.prompt_members import department_members, roster_status

    department = _seed(slack, session)
    slack.fake.members[FINANCE_CHANNEL] = ["U0ANA0001", "U0BEN0001", slack.fake.bot_user_id]
    scheduler = _scheduler(slack)
    assert await scheduler.refresh_rosters() == {"Finance": True}
    session.expire_all()
    people = department_members(session=session, department=department)
    assert sorted(m.platform_user_id for m in people) == ["U0ANA0001", "U0BEN0001"]

    slack.fake.fail("conversations.members", "channel_not_found")
    assert await scheduler.refresh_rosters() == {"Finance": False}
    session.expire_all()
    roster = roster_status(session=session, department=department)
    assert roster is not None
    assert roster.readable is False
    assert "no longer exists" in (roster.error or "")
    kept = department_members(session=session, department=department)
    assert len(kept) == 2  # the last known members still get prompts


async def test_the_reminder_is_a_direct_message_with_a_link_to_the_prompt(
    slack: SlackHarness, session: Session
) -> None:
    department = _seed(slack, session)
    rt = slack.runtime
    for user in ("U0DAN", "U0ERIN"):
        member = ensure_member(
            session=session, clock=rt.clock, workspace_id=department.workspace_id,
            platform_user_id=user,
        )  # fmt: skip
        set_override(
            session=session, clock=rt.clock, department=department, member=member,
            override="include",
        )  # fmt: skip
    slack.fake.fail("conversations.open", "user_not_found")  # Dan left the company
    scheduler = _scheduler(slack)
    outcome = await scheduler.send_now(department_id=department.id or 0)
    prompt_ts = _ledger_ref(session, outcome.delivery_id).partition(":")[2]
    rt.clock.advance(hours=25)  # type: ignore[attr-defined]  # past the 24-hour reminder point
    reports = [await scheduler.sweep_once() for _ in range(2)]  # the second sends nothing
    assert [(r.reminders, r.reminded_people) for r in reports] == [(1, 1), (0, 0)]
    assert [c.params["users"] for c in slack.fake.calls_to("conversations.open")] == [
        "U0DAN",
        "U0ERIN",
    ]
    [dm] = [c for c in slack.fake.calls_to("chat.postMessage") if c.params["channel"] == "DU0ERIN"]
    [button] = [e for b in dm.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["url"].endswith(f"/archives/{FINANCE_CHANNEL}/p{prompt_ts.replace('.', '')}")
    assert "<@" not in dm.params["text"]
    in_channel = [
        c for c in slack.fake.calls_to("chat.postMessage") if c.params["channel"] == FINANCE_CHANNEL
    ]
    assert len(in_channel) == 1  # the prompt; the reminder is never posted in the channel
