"""Line-of-sight prompts posted proactively into a Teams channel, answered on the card."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select
from tenacity import wait_exponential_jitter

from bot.scheduler import PromptScheduler
from stories.capture import StoryDraft, capture_story
from stories.departments import DepartmentSpec, add_department
from stories.models import (
    ChatConversation,
    DeliveryStatus,
    DepartmentMember,
    DepartmentRoster,
    Member,
    Platform,
    PromptAnswer,
    SourceKind,
    StoryFeedback,
    Workspace,
)
from tests.teams.test_teams_bot import TENANT, Harness, _card

CHANNEL = {"id": "19:finance@thread.tacv2", "tenantId": TENANT, "conversationType": "channel"}


def _seed(teams: Harness) -> int:
    rt = teams.runtime
    with Session(teams.engine) as session:
        workspace = session.exec(
            select(Workspace).where(
                Workspace.platform == Platform.TEAMS, Workspace.external_id == TENANT
            )
        ).one()
        ws = workspace.id or 0
        capture_story(
            session=session,
            clock=rt.clock,
            redactor=rt.redactor,
            draft=StoryDraft(
                workspace_id=ws,
                text="A florist was charged twice and her card was declined at the market.",
                source_kind=SourceKind.CLI,
                touchpoint="billing",
                shared=True,
            ),
        )
        department = add_department(
            session=session,
            clock=rt.clock,
            workspace_id=ws,
            spec=DepartmentSpec(name="Finance", teams_conversation_id=CHANNEL["id"]),
        )
        return department.id or 0


async def _send_now(teams: Harness, department_id: int) -> tuple[int, DeliveryStatus, str]:
    sender = teams.sightline.senders["teams"]
    outcome = await PromptScheduler(teams.runtime, {"teams": sender}).send_now(
        department_id=department_id
    )
    return outcome.delivery_id, outcome.status, outcome.reason or ""


async def test_prompt_needs_the_bot_in_the_channel_first(teams: Harness) -> None:
    await teams.post(teams.activity(text="help"))  # creates the workspace, not the channel
    delivery_id, status, reason = await _send_now(teams, _seed(teams))
    assert status is DeliveryStatus.FAILED
    assert "add the app to the channel" in reason
    assert delivery_id


async def test_prompt_is_posted_proactively_and_answered_on_the_card(teams: Harness) -> None:
    await teams.post(teams.activity(text="help", conversation=CHANNEL))
    with Session(teams.engine) as session:
        [saved] = session.exec(select(ChatConversation)).all()
    assert saved.kind == "channel"
    assert saved.reference["serviceUrl"] == teams.connector.url

    delivery_id, status, _ = await _send_now(teams, _seed(teams))
    assert status is DeliveryStatus.SENT
    prompt = teams.connector.replies[-1]
    prompt_id = prompt.response_id
    assert prompt.conversation_id == CHANNEL["id"]
    card = _card(prompt)
    assert "florist" in str(card["body"])
    assert card["actions"][0]["data"] == {"sightline": "answer", "delivery_id": delivery_id}

    answer = "Our refunds batch weekly; email me at ana@example.com and we can go daily."
    await teams.post(
        teams.activity(
            text=None,
            conversation=CHANNEL,
            replyToId="reply-9",
            value={"sightline": "answer", "delivery_id": delivery_id, "answer": answer},
        )
    )
    # The answer is a reply in the prompt's thread; the card stays for the others to answer.
    reply = teams.connector.replies[-1]
    assert reply.conversation_id == f"{CHANNEL['id']};messageid={prompt_id}"
    assert "email me at [email] and we can go daily." in str(_card(reply)["body"])
    assert teams.connector.updates == []
    with Session(teams.engine) as session:
        [stored] = session.exec(select(PromptAnswer)).all()
    assert stored.text.endswith("email me at [email] and we can go daily.")


async def test_not_relevant_from_the_card(teams: Harness) -> None:
    await teams.post(teams.activity(text="help", conversation=CHANNEL))
    delivery_id, _, _ = await _send_now(teams, _seed(teams))
    await teams.post(
        teams.activity(
            text=None,
            conversation=CHANNEL,
            value={"sightline": "not_relevant", "delivery_id": delivery_id},
        )
    )
    assert "less often" in str(_card(teams.connector.replies[-1])["body"])
    with Session(teams.engine) as session:
        assert len(session.exec(select(StoryFeedback)).all()) == 1


async def test_removing_the_bot_forgets_the_conversation(teams: Harness) -> None:
    await teams.post(teams.activity(text="help", conversation=CHANNEL))
    await teams.post(
        teams.activity(
            type="conversationUpdate",
            text=None,
            conversation=CHANNEL,
            membersRemoved=[{"id": "28:bot"}],
        )
    )
    with Session(teams.engine) as session:
        [saved] = session.exec(select(ChatConversation)).all()
    assert saved.active is False
    _, status, _ = await _send_now(teams, _seed(teams))
    assert status is DeliveryStatus.FAILED


async def test_throttled_sends_are_retried_after_a_pause(
    teams: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handlers.teams import sender

    # The real first pause is half a second.
    monkeypatch.setattr(sender, "_backoff", wait_exponential_jitter(multiplier=0.01, jitter=0.01))
    await teams.post(teams.activity(text="help", conversation=CHANNEL))
    department_id = _seed(teams)
    teams.connector.fail_next(429, times=2, retry_after=0)
    teams.connector.fail_next(502)
    _, status, reason = await _send_now(teams, department_id)
    assert (status, reason) == (DeliveryStatus.SENT, "")
    assert teams.connector.refused == 3
    registry = teams.runtime.metrics.registry
    assert (
        registry.get_sample_value("sightline_platform_rate_limited_total", {"platform": "teams"})
        == 2
    )  # the two 429s, not the 502


async def test_a_refusal_that_is_not_throttling_fails_at_once(teams: Harness) -> None:
    await teams.post(teams.activity(text="help", conversation=CHANNEL))
    department_id = _seed(teams)
    teams.connector.fail_next(403)
    _, status, _ = await _send_now(teams, department_id)
    assert status is DeliveryStatus.FAILED
    assert teams.connector.refused == 1


async def test_department_roster_is_read_from_the_channel_page_by_page(teams: Harness) -> None:
    await teams.post(teams.activity(text="help", conversation=CHANNEL))
    department_id = _seed(teams)
    people = [
        {"id": f"29:user{i}", "name": f"Person {i}", "aadObjectId": f"aad-{i}"} for i in range(7)
    ]
    bot = {"id": "28:bot", "name": "Sightline"}
    teams.connector.rosters[CHANNEL["id"]] = [*people[:3], bot, *people[3:]]
    teams.connector.page_limit = 3
    sender = teams.sightline.senders["teams"]
    scheduler = PromptScheduler(teams.runtime, {"teams": sender})

    assert await scheduler.refresh_rosters(department_id=department_id) == {"Finance": True}

    with Session(teams.engine) as session:
        roster = session.exec(
            select(Member.platform_user_id)
            .join(DepartmentMember, col(DepartmentMember.member_id) == Member.id)
            .where(DepartmentMember.department_id == department_id)
        ).all()
    assert sorted(roster) == [f"aad-{i}" for i in range(7)]  # the bot is not a member
    assert teams.connector.page_requests == 3  # 8 accounts, 3 a page


async def test_an_unreadable_channel_flags_the_roster(teams: Harness) -> None:
    await teams.post(teams.activity(text="help", conversation=CHANNEL))
    department_id = _seed(teams)  # the fake connector knows no roster for it: 404
    sender = teams.sightline.senders["teams"]
    scheduler = PromptScheduler(teams.runtime, {"teams": sender})

    assert await scheduler.refresh_rosters(department_id=department_id) == {"Finance": False}

    with Session(teams.engine) as session:
        [roster] = session.exec(select(DepartmentRoster)).all()
    assert roster.readable is False
    assert "would not list this channel's members (HTTP 404)" in (roster.error or "")


async def test_removing_the_app_from_a_team_retires_all_its_channels(teams: Harness) -> None:
    team = {"team": {"id": "19:team-general@thread.tacv2"}, "tenant": {"id": TENANT}}
    other = {**CHANNEL, "id": "19:legal@thread.tacv2"}
    elsewhere = {**CHANNEL, "id": "19:other-team@thread.tacv2"}
    for conversation in (CHANNEL, other):
        await teams.post(teams.activity(text="help", conversation=conversation, channelData=team))
    await teams.post(
        teams.activity(
            text="help",
            conversation=elsewhere,
            channelData={"team": {"id": "19:another@thread.tacv2"}, "tenant": {"id": TENANT}},
        )
    )

    await teams.post(
        teams.activity(
            type="installationUpdate",
            action="remove",
            text=None,
            conversation=CHANNEL,
            channelData=team,
        )
    )

    with Session(teams.engine) as session:
        rows = {r.conversation_id: r.active for r in session.exec(select(ChatConversation))}
    assert rows == {CHANNEL["id"]: False, other["id"]: False, elsewhere["id"]: True}
