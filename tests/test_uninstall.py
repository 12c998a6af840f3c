"""A removed workspace: inactive at once, nothing swept or stored, its data deleted after the
grace period unless it installs again (issue 14, item 3). Real databases, both backends."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from bot.cli import app
from bot.runtime import Runtime
from bot.scheduler.housekeeping import DataJobs
from stories.clock import FixedClock
from stories.conversation import capture
from stories.conversation.capture import CaptureRequest
from stories.conversation.context import ChatContext, ConversationConfig, CoreEnv, Place
from stories.errors import WorkspaceInactiveError
from stories.installs import list_states, mark_installed, mark_removed
from stories.models import (
    AuditEvent,
    Engagement,
    EngagementKind,
    Member,
    Platform,
    SourceKind,
    Story,
    Workspace,
    WorkspaceRemoval,
)
from stories.redaction import Redactor
from stories.workspaces import ensure_workspace
from tests.fakes.prompt_sender import RecordingSender
from tests.test_scheduler import department, ledger, runtime, scheduler, story  # noqa: F401

GRACE = timedelta(days=30)
runner = CliRunner()


@pytest.fixture
def core(engine: Engine, clock: FixedClock, redactor: Redactor) -> CoreEnv:
    return CoreEnv(
        sessions=lambda: Session(engine, expire_on_commit=False),
        clock=clock,
        redactor=redactor,
        config=ConversationConfig(removal_grace_days=30),
    )


def _ctx(team: str = "T1", user: str = "U1") -> ChatContext:
    return ChatContext(platform=Platform.SLACK, workspace=team, user=user, place=Place.PUBLIC)


def _tell(core: CoreEnv, text: str, team: str = "T1", user: str = "U1") -> int:
    request = CaptureRequest(text=text, source=SourceKind.SLASH, source_ref=f"t:{text[:20]}")
    outcome = capture.capture(env=core, ctx=_ctx(team, user), request=request)
    assert outcome.reply.story.id is not None
    return outcome.reply.story.id


def _remove(session: Session, clock: FixedClock, team: str = "T1") -> WorkspaceRemoval | None:
    return mark_removed(
        session=session,
        clock=clock,
        platform=Platform.SLACK,
        external_id=team,
        reason="app_uninstalled",
        grace=GRACE,
    )


def _count(session: Session, model: type, workspace_id: int) -> int:
    session.expire_all()
    return int(
        session.exec(
            select(func.count()).select_from(model).where(model.workspace_id == workspace_id)  # type: ignore[attr-defined]
        ).one()
    )


def test_a_removed_workspace_is_inactive_at_once_and_stores_nothing(
    core: CoreEnv, session: Session, clock: FixedClock
) -> None:
    _tell(core, "The courier left the parcel in the rain again.")
    removal = _remove(session, clock)

    assert removal is not None
    assert removal.purge_after == clock.now() + GRACE
    with pytest.raises(WorkspaceInactiveError, match="Nothing was stored"):
        _tell(core, "A second story after the app was removed from the workspace.")
    session.expire_all()
    assert len(session.exec(select(Story)).all()) == 1
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "workspace.removed"))
    assert event.detail["reason"] == "app_uninstalled"
    assert event.actor_member_id is None


def test_removing_twice_keeps_the_first_dates(session: Session, clock: FixedClock) -> None:
    ensure_workspace(
        session=session, clock=clock, platform=Platform.SLACK, external_id="T1", name="Acme"
    )
    first = _remove(session, clock)
    clock.advance(hours=2)
    again = _remove(session, clock)
    assert first is not None
    assert again is not None
    assert again.removed_at == first.removed_at
    assert _remove(session, clock, team="T-unknown") is None


async def test_no_prompt_is_swept_for_a_removed_workspace(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    runtime: Runtime,  # noqa: F811
) -> None:
    ws = ensure_workspace(
        session=session, clock=clock, platform=Platform.SLACK, external_id="T1", name="Acme"
    )
    department(session, clock, ws, "Finance")
    story(
        session, clock, redactor, ws, "Charged twice for one order; refund took a month.", "billing"
    )
    _remove(session, clock)
    sender = RecordingSender()
    clock.advance(minutes=61)  # 10:01, the prompt's time
    report = await scheduler(runtime, sender).sweep_once()
    assert (report.sent, sender.sent, ledger(session)) == (0, [], [])


async def test_data_is_purged_after_the_grace_period_and_only_then(
    core: CoreEnv,
    session: Session,
    clock: FixedClock,
    runtime: Runtime,  # noqa: F811
) -> None:
    story_id = _tell(core, "The refund portal lost the bank details twice.")
    _tell(core, "Another workspace's story must survive the purge.", team="T2")
    member = session.exec(select(Member).where(Member.platform_user_id == "U1")).first()
    assert member is not None
    session.add(
        Engagement(
            workspace_id=member.workspace_id,
            story_id=story_id,
            member_id=member.id or 0,
            kind=EngagementKind.RESONATES,
            created_at=clock.now(),
        )
    )
    session.commit()
    ws_id = member.workspace_id
    _remove(session, clock)
    jobs = DataJobs(runtime, "test")

    clock.advance(days=29)
    assert await jobs.run_once() == {"purge": 0, "retention": 0}
    assert _count(session, Story, ws_id) == 1

    clock.advance(days=1, seconds=1)
    assert await jobs.run_once() == {"purge": 1, "retention": 0}
    session.expire_all()
    assert session.get(Workspace, ws_id) is None
    for model in (Story, Member, Engagement, AuditEvent, WorkspaceRemoval):
        assert _count(session, model, ws_id) == 0, model.__name__
    assert [s.external_id for s in list_states(session=session)] == ["T2"]
    assert await jobs.run_once() == {"purge": 0, "retention": 0}  # nothing left, anywhere


async def test_installing_again_cancels_the_purge(
    core: CoreEnv,
    session: Session,
    clock: FixedClock,
    runtime: Runtime,  # noqa: F811
) -> None:
    _tell(core, "The refund portal lost the bank details twice.")
    _remove(session, clock)
    assert mark_installed(session=session, clock=clock, platform=Platform.SLACK, external_id="T1")
    clock.advance(days=60)
    assert await DataJobs(runtime, "test").run_once() == {"purge": 0, "retention": 0}
    _tell(core, "Stories are stored again once the app is back.")
    session.expire_all()
    assert len(session.exec(select(Story)).all()) == 2
    assert session.exec(select(WorkspaceRemoval)).all() == []


@pytest.mark.usefixtures("cli")
def test_workspaces_list_purge_and_reactivate_from_the_command_line(
    engine: Engine, clock: FixedClock
) -> None:
    with Session(engine) as session:
        for team in ("T1", "T2"):
            ensure_workspace(
                session=session, clock=clock, platform=Platform.SLACK, external_id=team, name=team
            )
        _remove(session, clock, "T1")

    listed = json.loads(runner.invoke(app, ["workspaces", "list", "--json"]).stdout)
    states = {w["external_id"]: w for w in listed["workspaces"]}
    assert states["T1"]["active"] is False
    assert states["T1"]["removal_reason"] == "app_uninstalled"
    assert states["T1"]["purge_after"] is not None
    assert states["T2"]["active"] is True

    # Not due yet (the CLI's own clock is the real one, past the fixed test date, so use a name).
    reactivated = runner.invoke(app, ["workspaces", "reactivate", "T1"], catch_exceptions=False)
    assert "active again" in reactivated.stdout
    purged = runner.invoke(
        app, ["workspaces", "purge", "T2", "--yes", "--json"], catch_exceptions=False
    )
    assert json.loads(purged.stdout) == {"purged": [{"id": 2, "name": "T2"}]}
    with Session(engine) as session:
        left = session.exec(select(Workspace).order_by(col(Workspace.id))).all()
    assert [(w.external_id, w.active) for w in left] == [("T1", True)]


@pytest.mark.usefixtures("cli")
def test_workspaces_list_json_is_an_empty_list_on_an_empty_database() -> None:
    result = runner.invoke(app, ["workspaces", "list", "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"schema": 1, "workspaces": []}
