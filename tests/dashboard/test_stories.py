"""The stories table and story page: chat search's ranking and visibility, workspace scope,
and a lead hiding or deleting a story (audited, its Slack post following)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from stories.clock import FixedClock
from stories.models import AuditEvent, Member, Story
from stories.search import search_stories
from stories.visibility import Viewer
from tests.dashboard.conftest import serve
from tests.dashboard.seed import Seeded, seed_workspace
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET

Signed = tuple[httpx.AsyncClient, Seeded, FakeSlackAPI]


def listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-story="(\d+)">', html)]


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


@pytest.fixture
async def signed_in(engine: Engine, clock: FixedClock) -> AsyncIterator[Signed]:
    seeded = seed_workspace(engine, clock)
    async with (
        FakeSlackAPI() as fake,
        serve(
            engine,
            clock,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            slack_api_url=fake.url,
            prompts_enabled=False,
        ) as served,
    ):
        http = httpx.AsyncClient(base_url=served.base, timeout=10)
        async with http:
            await http.post(served.path(served.link()))
            yield http, seeded, fake


async def test_search_ranks_and_hides_like_chat_search(signed_in: Signed, engine: Engine) -> None:
    http, seeded, _ = signed_in
    page = await http.get("/dashboard/stories", params={"q": "refund"})
    assert page.status_code == 200
    with Session(engine) as session:
        lead_id = session.exec(
            select(Member.id).where(
                Member.workspace_id == seeded.workspace_id, Member.platform_user_id == "U-LEAD"
            )
        ).one()
        chat = search_stories(
            session=session,
            workspace_id=seeded.workspace_id,
            query="refund",
            limit=25,
            viewer=Viewer.member(lead_id),
        )
    assert listed(page.text) == [hit.story.id for hit in chat.hits]
    assert listed(page.text) == [seeded.story_ids[0]]
    assert seeded.private_story_id not in listed(page.text)  # someone else's private story
    assert "Globex secret" not in page.text  # another workspace's story


async def test_filters_narrow_the_table(signed_in: Signed) -> None:
    http, seeded, _ = signed_in
    everything = await http.get("/dashboard/stories")
    assert listed(everything.text) == seeded.story_ids  # newest first
    by_touchpoint = await http.get("/dashboard/stories", params={"touchpoint": "delivery"})
    assert listed(by_touchpoint.text) == [seeded.story_ids[2]]
    by_dates = await http.get(
        "/dashboard/stories", params={"since": "2026-10-20", "until": "2026-10-30"}
    )
    assert listed(by_dates.text) == [seeded.story_ids[0], seeded.story_ids[1]]
    by_words_and_source = await http.get(
        "/dashboard/stories", params={"q": "billing or invoice", "source": "import"}
    )
    assert listed(by_words_and_source.text) == []
    for emotion, expected in (("frustrated", [seeded.story_ids[0]]), ("delighted", [])):
        by_emotion = await http.get(
            "/dashboard/stories", params={"q": "refund", "emotion": emotion}
        )
        assert listed(by_emotion.text) == expected
    assert len(listed((await http.get("/dashboard/stories", params={"source": "slash"})).text)) == 6
    bad = await http.get("/dashboard/stories", params={"since": "yesterday"})
    assert bad.status_code == 400
    assert "is not a date" in bad.text


async def test_a_story_page_shows_answers_and_resonates_by_department(
    signed_in: Signed,
) -> None:
    http, seeded, _ = signed_in
    answered = await http.get(f"/dashboard/stories/{seeded.story_ids[1]}")
    assert answered.status_code == 200
    assert "<h3>Finance</h3>" in answered.text
    assert "nightly reconciliation" in answered.text
    resonated = await http.get(f"/dashboard/stories/{seeded.story_ids[0]}")
    rows = re.findall(r'<th scope="row">(\w+)</th><td class="num">(\d+)</td>', resonated.text)
    assert sorted(rows) == [("Finance", "1"), ("Legal", "1"), ("Support", "1")]
    too_big = await http.get("/dashboard/stories/99999999999")  # past any id column
    assert too_big.status_code == 404
    for hidden in (seeded.private_story_id, seeded.other_story_id):
        page = await http.get(f"/dashboard/stories/{hidden}")
        assert page.status_code == 404
        assert "Globex secret" not in page.text
        assert "private note" not in page.text


async def test_hide_and_delete_are_audited_and_the_slack_post_follows(
    signed_in: Signed, engine: Engine
) -> None:
    http, seeded, fake = signed_in
    first, second = seeded.story_ids[0], seeded.story_ids[1]
    with Session(engine) as session:
        for story_id, ts in ((first, "111.1"), (second, "222.2")):
            story = session.get(Story, story_id)
            assert story is not None
            story.channel_post_ref = f"C-STORIES:{ts}"
            session.add(story)
        session.commit()
    page = await http.get(f"/dashboard/stories/{first}")
    token = csrf_of(page.text)
    forged = await http.post(f"/dashboard/stories/{first}/hide", data={"csrf": "nope"})
    assert forged.status_code == 403
    hidden = await http.post(f"/dashboard/stories/{first}/hide", data={"csrf": token})
    assert hidden.status_code == 303
    unconfirmed = await http.post(f"/dashboard/stories/{second}/delete", data={"csrf": token})
    assert unconfirmed.status_code == 400
    deleted = await http.post(
        f"/dashboard/stories/{second}/delete", data={"csrf": token, "confirm": "yes"}
    )
    assert deleted.status_code == 303
    updates = {(c["channel"], c["ts"]): c["text"] for c in fake.calls_to("chat.update")}
    assert updates == {
        ("C-STORIES", "111.1"): "This story is no longer shared.",
        ("C-STORIES", "222.2"): "This story was deleted by its author or a CX lead.",
    }
    with Session(engine) as session:
        story = session.get(Story, first)
        assert story is not None
        assert not story.shared
        assert story.channel_post_ref is None
        assert session.get(Story, second) is None
        actions = {(e.action, e.subject_id) for e in session.exec(select(AuditEvent))}
    assert {("story.hidden", first), ("story.deleted", second)} <= actions
    other = await http.post(
        f"/dashboard/stories/{seeded.other_story_id}/delete", data={"csrf": token, "confirm": "yes"}
    )
    assert other.status_code == 404  # another workspace's story stays where it is
