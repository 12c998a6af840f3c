"""App Home, the full-story button, and Block Kit limits on long content."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import Session

from handlers.slack import blocks as kit
from handlers.slack import forms
from stories.conversation.views import (
    CaptureForm,
    HomeView,
    PromptRecap,
    SearchReply,
    StoryAction,
    StoryReply,
    StoryView,
)
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

BUTTON_VALUE_LIMIT = 2000  # Slack's limit on a button's value
LONG = (
    "The customer explained every step of a painful refund. " * 65
).strip()  # 3,600: under the 4,000 limit


def card(text: str = LONG, **extra: object) -> StoryView:
    return StoryView(id=7, text=text, customer_label="x" * 120, touchpoint="billing", **extra)  # type: ignore[arg-type]


def sections(blocks: list[dict[str, object]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]  # type: ignore[index]


def test_long_stories_are_cut_visibly_with_a_button_to_the_rest() -> None:
    manage = (StoryAction.EDIT, StoryAction.DELETE)
    hits = tuple([card(actions=(StoryAction.RESONATE,))] * 10)
    for blocks in (
        kit.block_dicts(kit.story_reply(StoryReply(heading="Saved", story=card(actions=manage)))),
        kit.block_dicts(kit.channel_post(card(resonates=3, resonated_with=(("F" * 200, 1),)))),
        kit.block_dicts(
            kit.search_results(
                SearchReply(query="q" * 900, heading="h" * 300, stories=hits, next_offset=10)
            )
        ),
    ):
        assert len(blocks) <= kit.MESSAGE_BLOCK_LIMIT
        assert all(len(t) <= kit.SECTION_TEXT_LIMIT for t in sections(blocks))
        assert any(t.endswith("…") for t in sections(blocks))
        values = [e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]]  # type: ignore[index,union-attr]
        assert all(len(v) <= BUTTON_VALUE_LIMIT for v in values)
        actions = {e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]}  # type: ignore[index,union-attr]
        assert kit.FULL_STORY_ACTION in actions
        ids = [b["block_id"] for b in blocks if "block_id" in b]
        assert len(ids) == len(set(ids))


def test_full_story_modal_keeps_every_word_within_limits() -> None:
    view = kit.full_story_modal(card()).to_dict()
    texts = sections(view["blocks"])
    assert all(len(t) <= kit.SECTION_TEXT_LIMIT for t in texts)
    assert "".join(texts) == kit.escape(LONG)


def test_modal_prefill_longer_than_an_input_is_cut_not_rejected() -> None:
    form = CaptureForm(title="t", submit="s", text="word " * 1000, source={"x": "y" * 5000})
    view = forms.capture_modal(form).to_dict()
    assert len(view["blocks"][0]["element"]["initial_value"]) <= kit.PLAIN_INPUT_LIMIT
    assert len(view["private_metadata"]) <= kit.PRIVATE_METADATA_LIMIT


def test_home_view_stays_within_100_blocks_and_header_limits() -> None:
    many = tuple(card(f"Story number {n} about a long wait for a refund.") for n in range(40))
    prompts = (PromptRecap(question="P" * 500, answers=("A" * 5000,) * 10),) * 10
    home = HomeView(
        intro="i",
        own=many,
        own_empty="",
        latest=many,
        latest_empty="",
        department="D" * 300,
        prompts=prompts,
        prompts_empty="",
    )
    view = kit.view_dict(kit.home_view(home))
    assert view["type"] == "home"
    assert len(view["blocks"]) <= kit.VIEW_BLOCK_LIMIT
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert all(len(h) <= kit.HEADER_LIMIT for h in headers)
    assert all(len(t) <= kit.SECTION_TEXT_LIMIT for t in sections(view["blocks"]))


def test_mrkdwn_control_characters_are_escaped() -> None:
    [section, *_] = kit.block_dicts(
        kit.story_blocks(card("<!channel> & <@U1> said a thing that matters"))
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


async def test_a_home_with_the_same_story_in_every_section_is_accepted_by_slack(
    slack: SlackHarness, session: Session
) -> None:
    # Alice's own story is also the latest story: both sections show it. Slack refuses a view
    # that repeats a block id (invalid_blocks), which left people with an empty Home tab.
    await slack.command(STORY)
    await slack.fake.wait_for("response_url")
    await slack.event(fixture("app_home_opened"))
    [published] = await slack.fake.wait_for("views.publish")
    text = json.dumps(published["view"])
    assert text.count("refund took three weeks") == 2  # in "Your stories" and "Latest"
    ids = [b["block_id"] for b in published["view"]["blocks"] if "block_id" in b]
    assert len(ids) == len(set(ids))
    assert slack.fake.rejected == []


async def test_full_story_button_opens_a_modal(slack: SlackHarness, session: Session) -> None:
    await slack.command(LONG)
    [reply] = [c.json for c in await slack.fake.wait_for("response_url")]
    assert reply is not None
    values = [
        e["value"]
        for b in reply["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == kit.FULL_STORY_ACTION
    ]
    assert values, "a long story needs a button to read it all"
    payload = fixture("block_actions")
    payload["actions"][0].update(action_id=kit.FULL_STORY_ACTION, value=values[0])
    payload["response_url"] = slack.fake.response_url("full")
    await slack.interaction(payload)
    [opened] = await slack.fake.wait_for("views.open")
    assert "".join(sections(opened["view"]["blocks"])) == kit.escape(stories(session)[0].text)
