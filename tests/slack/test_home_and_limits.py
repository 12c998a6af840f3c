"""App Home, the full-story button, and Block Kit limits on long content."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import Session

from handlers.slack import renderers as r
from stories.models import (
    DeliveryStatus,
    Department,
    Member,
    PromptAnswer,
    PromptDelivery,
    PromptTemplate,
)
from tests.slack.conftest import SlackHarness, fixture
from tests.slack.test_capture import STORY, stories

LONG = (
    "The customer explained every step of a painful refund. " * 65
).strip()  # 3,600: under the 4,000 limit


def card(text: str = LONG, **extra: object) -> r.StoryCard:
    return r.StoryCard(id=7, text=text, customer_label="x" * 120, touchpoint="billing", **extra)  # type: ignore[arg-type]


def sections(blocks: list[dict[str, object]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]  # type: ignore[index]


def test_long_stories_are_cut_visibly_with_a_button_to_the_rest() -> None:
    for blocks in (
        r.block_dicts(r.captured_message(card())),
        r.block_dicts(r.channel_post(card(resonates=3, resonating_departments={"F" * 200: 1}))),
        r.block_dicts(
            r.search_results(
                query="q" * 900, cards=[card()] * 10, offset=0, has_more=True, page_size=10
            )
        ),
    ):
        assert len(blocks) <= r.MESSAGE_BLOCK_LIMIT
        assert all(len(t) <= r.SECTION_TEXT_LIMIT for t in sections(blocks))
        assert any(t.endswith("…") for t in sections(blocks))
        values = [e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]]  # type: ignore[index,union-attr]
        assert all(len(v) <= r.BUTTON_VALUE_LIMIT for v in values)
        actions = {e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]}  # type: ignore[index,union-attr]
        assert r.FULL_STORY_ACTION in actions


def test_full_story_modal_keeps_every_word_within_limits() -> None:
    view = r.full_story_modal(card()).to_dict()
    texts = sections(view["blocks"])
    assert all(len(t) <= r.SECTION_TEXT_LIMIT for t in texts)
    assert "".join(texts) == r.escape(LONG)


def test_modal_prefill_longer_than_an_input_is_cut_not_rejected() -> None:
    view = r.capture_modal(r.ModalPrefill(text="word " * 1000, source={"x": "y" * 5000})).to_dict()
    assert len(view["blocks"][0]["element"]["initial_value"]) <= r.PLAIN_INPUT_LIMIT
    assert len(view["private_metadata"]) <= r.PRIVATE_METADATA_LIMIT


def test_home_view_stays_within_100_blocks_and_header_limits() -> None:
    many = [card(f"Story number {n} about a long wait for a refund.") for n in range(40)]
    prompts = [("P" * 500, ["A" * 5000] * 10)] * 10
    view = r.home_view(
        r.HomeModel(own=many, latest=many, department="D" * 300, prompts=prompts)
    ).to_dict()
    assert view["type"] == "home"
    assert len(view["blocks"]) <= r.VIEW_BLOCK_LIMIT
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert all(len(h) <= r.HEADER_LIMIT for h in headers)
    assert all(len(t) <= r.SECTION_TEXT_LIMIT for t in sections(view["blocks"]))


def test_mrkdwn_control_characters_are_escaped() -> None:
    [section, *_] = r.block_dicts(
        r.story_blocks(card("<!channel> & <@U1> said a thing that matters"))
    )
    assert "<!channel>" not in section["text"]["text"]  # type: ignore[index]
    assert "&lt;!channel&gt; &amp;" in section["text"]["text"]  # type: ignore[index]


async def test_home_tab_shows_own_latest_and_department_prompts(
    slack: SlackHarness, session: Session
) -> None:
    await slack.command(STORY)
    await slack.fake.wait_for("response_url")
    [story] = stories(session)
    member = session.get(Member, story.author_member_id)
    assert member is not None
    now = datetime(2026, 11, 2, 9, tzinfo=UTC)
    department = Department(
        workspace_id=story.workspace_id, name="Finance", name_key="finance", created_at=now
    )
    template = PromptTemplate(key="finance-1", area="finance", text="What made a customer wait?")
    session.add_all([department, template])
    session.commit()
    member.department_id = department.id
    delivery = PromptDelivery(
        workspace_id=story.workspace_id,
        target=f"department:{department.id}",
        department_id=department.id,
        occurrence_at=now,
        status=DeliveryStatus.SENT,
        template_id=template.id,
    )
    session.add_all([member, delivery])
    session.commit()
    assert delivery.id is not None
    assert member.id is not None
    session.add(
        PromptAnswer(
            workspace_id=story.workspace_id,
            delivery_id=delivery.id,
            member_id=member.id,
            department_id=department.id,
            text="Invoices stuck in approval.",
            created_at=now,
        )
    )
    session.commit()

    event = fixture("app_home_opened")
    await slack.event(event)
    [published] = await slack.fake.wait_for("views.publish")
    assert published["user_id"] == "U0ALICE01"
    view = published["view"]
    assert view["type"] == "home"
    text = json.dumps(view["blocks"])
    assert text.count("refund took three weeks") == 2  # own stories and latest
    assert "Finance: prompts" in text
    assert "What made a customer wait?" in text
    assert "Invoices stuck in approval." in text


async def test_full_story_button_opens_a_modal(slack: SlackHarness, session: Session) -> None:
    await slack.command(LONG)
    [reply] = [c.json for c in await slack.fake.wait_for("response_url")]
    assert reply is not None
    values = [
        e["value"]
        for b in reply["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == r.FULL_STORY_ACTION
    ]
    assert values, "a long story needs a button to read it all"
    payload = fixture("block_actions")
    payload["actions"][0].update(action_id=r.FULL_STORY_ACTION, value=values[0])
    payload["response_url"] = slack.fake.response_url("full")
    await slack.interaction(payload)
    [opened] = await slack.fake.wait_for("views.open")
    assert "".join(sections(opened["view"]["blocks"])) == r.escape(stories(session)[0].text)
