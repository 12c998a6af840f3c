"""The overview: the summary's own figures, line-of-sight coverage, the period form."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli.app import app as cli_app
from stories.clock import FixedClock
from stories.dashboard.coverage import line_of_sight_coverage
from stories.periods import parse_period
from tests.dashboard.conftest import serve
from tests.dashboard.seed import Seeded, seed_workspace


@pytest.fixture
async def signed_in(
    engine: Engine, clock: FixedClock
) -> AsyncIterator[tuple[httpx.AsyncClient, Seeded]]:
    seeded = seed_workspace(engine, clock)
    async with serve(engine, clock) as served:
        http = httpx.AsyncClient(base_url=served.base, timeout=10)
        async with http:
            await http.post(served.path(served.link()))
            yield http, seeded


def tiles(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-metric="([^"]+)" data-value="([^"]*)"', html))


def test_coverage_counts_people_outside_customer_facing_teams_who_reacted(
    engine: Engine, clock: FixedClock
) -> None:
    seeded = seed_workspace(engine, clock)
    with Session(engine) as session:
        coverage = line_of_sight_coverage(
            session=session,
            workspace_id=seeded.workspace_id,
            period=parse_period("30d", now=clock.now()),
        )
    # Finance: FIN1 resonated, FIN2 answered, FIN3 did nothing; Legal: LEG1 resonated;
    # Support is customer-facing and the lead is in no department: neither counts.
    assert [(d.name, d.members, d.reached.value) for d in coverage.departments] == [
        ("Finance", 3, 2),
        ("Legal", 1, 1),
    ]
    assert coverage.members == 4
    assert coverage.overall.value == pytest.approx(0.75)
    assert coverage.overall.previous == 0


async def test_overview_figures_equal_the_summary_json(
    signed_in: tuple[httpx.AsyncClient, Seeded], cli: None
) -> None:
    http, _ = signed_in
    since, until = "2026-09-20", "2026-11-01"
    page = await http.get("/dashboard", params={"period": "custom", "since": since, "until": until})
    assert page.status_code == 200
    shown = tiles(page.text)
    result = CliRunner().invoke(
        cli_app, ["summary", "-w", "T1", "--period", f"{since}..{until}", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    expected = {
        "stories": payload["stories"]["value"],
        "prompts_sent": payload["prompts_sent"]["value"],
        "answers": payload["answers"]["value"],
        "response_rate": payload["response_rate"]["value"],
        "participation": payload["participation"]["value"],
        "silo.overall": payload["silo"]["overall"]["value"],
    }
    assert expected["stories"] == 6  # the seed's shared stories plus the private one, in range
    assert {k: shown[k] for k in expected} == {
        k: "" if v is None else str(v) for k, v in expected.items()
    }
    assert shown["coverage"] == "0.75"


async def test_a_bad_period_is_explained_on_the_page(
    signed_in: tuple[httpx.AsyncClient, Seeded],
) -> None:
    http, _ = signed_in
    page = await http.get(
        "/dashboard", params={"period": "custom", "since": "2026-11-30", "until": "2026-11-01"}
    )
    assert page.status_code == 400
    assert "ends before it starts" in page.text
    assert 'data-metric="stories"' not in page.text


async def test_the_overview_shows_weekly_trends_as_svg_with_a_table(
    signed_in: tuple[httpx.AsyncClient, Seeded],
) -> None:
    http, _ = signed_in
    page = await http.get("/dashboard", params={"period": "90d"})
    assert page.text.count("<svg") == 2
    assert 'role="img"' in page.text
    assert "Stories captured per week" in page.text
    assert "Globex" not in page.text
