"""Retention (issue 14, item 2): what is older than a workspace's limit is deleted daily,
once per workspace and day across replicas, with the summary rollups matching what is left.
Real databases, both backends."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from bot.cli import app
from bot.database import create_db_engine
from bot.runtime import Runtime, build_runtime
from bot.scheduler.housekeeping import DataJobs
from bot.settings import load_settings
from stories.clock import FixedClock
from stories.models import (
    Engagement,
    HousekeepingRun,
    Platform,
    PromptAnswer,
    PromptDelivery,
    Story,
    StoryDay,
    StoryResonance,
    Workspace,
)
from stories.retention import set_policy
from stories.workspaces import ensure_workspace
from tests.test_summaries import _answer, _delivery, _department, _member, _resonates, _story

runner = CliRunner()


def _runtime(database_url: str, engine: Engine, clock: FixedClock, **settings: Any) -> Runtime:
    values = {"database_url": database_url, "_env_file": None, **settings}
    return build_runtime(load_settings(**values), engine=engine, clock=clock)


def _workspace(session: Session, clock: FixedClock, team: str) -> int:
    ws = ensure_workspace(
        session=session, clock=clock, platform=Platform.SLACK, external_id=team, name=team
    )
    return ws.id or 0


def _history(session: Session, clock: FixedClock, ws: int) -> None:
    """A story, an answer and a resonate 40 days old, and the same 10 days old."""
    finance = _department(session, ws, f"Finance {ws}")
    member = _member(session, ws, f"U{ws}", finance)
    for days in (40, 10):
        when = clock.now() - timedelta(days=days)
        story = _story(
            session, ws, f"A story {days} days old", when=when, department=None, touchpoint="x"
        )
        _resonates(session, ws, story, member, when)
        prompt = _delivery(session, ws, finance, when - timedelta(hours=1))
        _answer(session, ws, prompt, member, story, when, f"An answer {days} days old")
    session.commit()


def _left(session: Session, ws: int) -> dict[str, Any]:
    session.expire_all()

    def count(model: Any) -> int:
        query = select(func.count()).select_from(model).where(model.workspace_id == ws)
        return int(session.exec(query).one())

    rolled = session.exec(
        select(func.coalesce(func.sum(StoryDay.n), 0)).where(
            StoryDay.workspace_id == ws, StoryDay.dimension == "source"
        )
    ).one()
    answered = session.exec(
        select(func.coalesce(func.sum(PromptDelivery.answer_count), 0)).where(
            PromptDelivery.workspace_id == ws
        )
    ).one()
    resonance = session.exec(
        select(func.coalesce(func.sum(StoryResonance.resonates), 0)).where(
            StoryResonance.workspace_id == ws
        )
    ).one()
    texts = sorted(s.text for s in session.exec(select(Story).where(Story.workspace_id == ws)))
    session.commit()
    return {
        "stories": count(Story),
        "answers": count(PromptAnswer),
        "engagement": count(Engagement),
        "rollup_stories": int(rolled),
        "rollup_answers": int(answered),
        "rollup_resonates": int(resonance),
        "texts": texts,
    }


async def test_older_rows_go_the_rest_stay_and_the_rollups_match(
    database_url: str, engine: Engine, session: Session, clock: FixedClock
) -> None:
    strict, lenient, default = (_workspace(session, clock, t) for t in ("T1", "T2", "T3"))
    for ws in (strict, lenient, default):
        _history(session, clock, ws)
    set_policy(session=session, clock=clock, workspace_id=lenient, retention_days=365)
    set_policy(session=session, clock=clock, workspace_id=default, installation_retention=True)
    runtime = _runtime(database_url, engine, clock, retention_days=30)

    done = await DataJobs(runtime, "a").run_once()

    assert done["retention"] == 6  # a story, an answer and a resonate in T1 and in T3
    assert _left(session, strict) == {
        "stories": 1,
        "answers": 1,
        "engagement": 1,
        "rollup_stories": 1,
        "rollup_answers": 1,
        "rollup_resonates": 1,
        "texts": ["A story 10 days old"],
    }
    assert _left(session, lenient)["stories"] == 2  # its own limit: a year
    assert _left(session, default)["stories"] == 1  # back to the installation's 30 days


async def test_nothing_is_deleted_without_a_limit(
    database_url: str, engine: Engine, session: Session, clock: FixedClock
) -> None:
    ws = _workspace(session, clock, "T1")
    _history(session, clock, ws)
    runtime = _runtime(database_url, engine, clock)
    assert await DataJobs(runtime, "a").run_once() == {"purge": 0, "retention": 0}
    assert _left(session, ws)["stories"] == 2
    assert session.exec(select(HousekeepingRun)).all() == []


@pytest.fixture
def second_engine(database_url: str) -> Iterator[Engine]:
    other = create_db_engine(database_url)
    yield other
    other.dispose()


async def test_two_replicas_apply_retention_once_a_day(
    database_url: str,
    engine: Engine,
    second_engine: Engine,
    session: Session,
    clock: FixedClock,
) -> None:
    ws = _workspace(session, clock, "T1")
    _history(session, clock, ws)
    replicas = [
        DataJobs(_runtime(database_url, e, clock, retention_days=30), name)
        for e, name in ((engine, "a"), (second_engine, "b"))
    ]
    results = await asyncio.gather(*(r.run_once() for r in replicas))
    assert sorted(r["retention"] for r in results) == [0, 3]
    [run] = session.exec(select(HousekeepingRun)).all()
    assert (run.job, run.workspace_id, run.removed) == ("retention", ws, 3)
    assert run.finished_at is not None

    # Later the same day nothing runs again; the next day it does.
    _story(session, ws, "Imported late, already old", when=clock.now() - timedelta(days=90),
           department=None, touchpoint="x")  # fmt: skip
    session.commit()
    clock.advance(hours=1)
    assert (await replicas[0].run_once())["retention"] == 0
    clock.advance(days=1)
    assert (await replicas[1].run_once())["retention"] == 1
    days = session.exec(select(HousekeepingRun.day).order_by(col(HousekeepingRun.day))).all()
    assert len(days) == 2


@pytest.mark.usefixtures("cli")
def test_a_workspace_sets_its_own_data_policy_from_the_command_line(
    engine: Engine, clock: FixedClock
) -> None:
    with Session(engine) as session:
        _workspace(session, clock, "T1")
    result = runner.invoke(
        app,
        ["workspaces", "data-policy", "T1", "--retention-days", "90", "--erased-stories",
         "delete", "--json"],
        catch_exceptions=False,
    )  # fmt: skip
    assert json.loads(result.stdout)["policy"] == {
        "workspace": "T1",
        "retention_days": 90,
        "effective_retention_days": 90,
        "erased_stories": "delete",
    }
    shown = runner.invoke(app, ["workspaces", "data-policy", "T1"], catch_exceptions=False)
    said = " ".join(shown.stdout.split())  # the console wraps long lines
    assert "kept 90 days" in said
    assert "deletes their stories" in said
    with Session(engine) as session:
        assert session.exec(select(Workspace)).one().active
