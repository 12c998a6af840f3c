"""Departments (pause, resume, prompt now through the ledger), the silo matrix, themes with
quotes and downloads, over real HTTP on both databases."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from stories.clock import FixedClock
from stories.exports import export_files
from stories.models import (
    AuditEvent,
    DeliveryStatus,
    Department,
    PromptAnswer,
    PromptDelivery,
    Story,
)
from stories.periods import parse_period
from stories.summaries import build_summary
from tests.dashboard.conftest import serve
from tests.dashboard.seed import Seeded, seed_workspace
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET

Signed = tuple[httpx.AsyncClient, Seeded, FakeSlackAPI]


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


async def test_departments_show_schedule_and_last_prompts_and_pause_and_resume(
    signed_in: Signed, engine: Engine
) -> None:
    http, seeded, _ = signed_in
    page = await http.get("/dashboard/departments")
    assert page.status_code == 200
    finance = page.text.split('data-department="Finance"')[1].split("</section>")[0]
    assert "tue at 10:00 UTC, every week" in finance
    assert "Next prompt</dt><dd>2026-11-03 10:00 UTC" in finance
    assert "Response rate, last prompts</dt><dd>100%" in finance
    assert "Customer-facing: not prompted" in page.text
    token = csrf_of(page.text)
    paused = await http.post(
        f"/dashboard/departments/{seeded.finance_id}/pause", data={"csrf": token}
    )
    assert paused.status_code == 303
    after = await http.get(paused.headers["location"])
    assert "Prompts for Finance are paused" in after.text
    assert 'State</dt><dd class="state">Paused' in after.text
    with Session(engine) as session:
        department = session.get(Department, seeded.finance_id)
        assert department is not None
        assert department.paused
    resumed = await http.post(
        f"/dashboard/departments/{seeded.finance_id}/resume", data={"csrf": token}
    )
    assert resumed.status_code == 303
    with Session(engine) as session:
        department = session.get(Department, seeded.finance_id)
        assert department is not None
        assert not department.paused
        actions = [e.action for e in session.exec(select(AuditEvent))]
    assert [a for a in actions if a.startswith("department.")] == [
        "department.paused",
        "department.resumed",
    ]


async def test_prompt_now_goes_through_the_ledger_to_the_departments_channel(
    signed_in: Signed, engine: Engine
) -> None:
    http, seeded, fake = signed_in
    page = await http.get("/dashboard/departments")
    sent = await http.post(
        f"/dashboard/departments/{seeded.finance_id}/prompt", data={"csrf": csrf_of(page.text)}
    )
    assert sent.status_code == 303
    shown = await http.get(sent.headers["location"])
    assert "Sent Finance a prompt in its channel." in shown.text
    posts = [c for c in fake.calls_to("chat.postMessage") if c["channel"] == "C-FIN"]
    assert len(posts) == 1
    with Session(engine) as session:
        deliveries = session.exec(
            select(PromptDelivery).where(PromptDelivery.department_id == seeded.finance_id)
        ).all()
    assert sorted(d.status for d in deliveries) == [DeliveryStatus.SENT, DeliveryStatus.SENT]


async def test_the_silo_matrix_adds_up_to_the_summarys_silo_index(
    signed_in: Signed, engine: Engine, clock: FixedClock
) -> None:
    http, seeded, _ = signed_in
    page = await http.get("/dashboard/silo", params={"period": "30d"})
    assert page.status_code == 200
    with Session(engine) as session:
        summary = build_summary(
            session=session,
            workspace_id=seeded.workspace_id,
            period=parse_period("30d", now=clock.now()).whole_seconds(),
            now=clock.now(),
        )
    shown = re.search(r'id="silo-index" data-value="([^"]*)"', page.text)
    assert shown is not None
    assert summary.silo.overall.value is not None
    assert float(shown.group(1)) == pytest.approx(summary.silo.overall.value)
    support_row = re.search(r'<th scope="row">Support</th>(.*?)</tr>', page.text)
    assert support_row is not None
    assert re.findall(r"<td[^>]*>(\d+)</td>", support_row.group(1)) == ["0", "0", "1"]
    finance_row = re.search(r'<th scope="row">Finance</th>(.*?)</tr>', page.text)
    assert finance_row is not None
    assert re.findall(r"<td[^>]*>(\d+)</td>", finance_row.group(1)) == ["0", "0", "2"]


async def test_themes_quote_the_stories_word_for_word(signed_in: Signed, engine: Engine) -> None:
    http, _, _ = signed_in
    page = await http.get("/dashboard/themes", params={"period": "90d"})
    assert page.status_code == 200
    quotes = re.findall(r'<blockquote class="quote">“(.*?)”', page.text)
    assert quotes
    with Session(engine) as session:
        texts = [s.text for s in session.exec(select(Story))] + [
            a.text for a in session.exec(select(PromptAnswer))
        ]
    for quote in quotes:
        assert any(quote.replace("&#39;", "'") in text for text in texts), quote
    assert "private note" not in page.text
    assert "Globex" not in page.text


async def test_a_download_is_the_same_file_as_the_chat_export(
    signed_in: Signed, engine: Engine, clock: FixedClock
) -> None:
    http, seeded, _ = signed_in
    got = await http.get("/dashboard/downloads/stories.csv", params={"period": "30d"})
    assert got.status_code == 200
    with Session(engine) as session:
        [made] = export_files(
            session=session,
            workspace_id=seeded.workspace_id,
            period=parse_period("30d", now=clock.now()).whole_seconds(),
            format="csv",
            what="stories",
        )
    assert got.content == made.content
    assert f'filename="{made.name}"' in got.headers["content-disposition"]
    assert b"Globex" not in got.content
