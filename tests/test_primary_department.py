"""Everyone has a department: rosters for every linked channel, one primary department each."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli import app
from bot.runtime import build_runtime
from bot.scheduler import PromptScheduler
from bot.settings import load_settings
from stories.clock import FixedClock
from stories.departments import DepartmentSpec, add_department
from stories.errors import NotFoundError
from stories.models import Department, Member, Platform, Workspace
from stories.primary_department import set_primary_department
from stories.prompt_members import set_override
from stories.workspaces import ensure_workspace
from tests.fakes.prompt_sender import RecordingSender


@pytest.fixture
def slack_ws(session: Session, clock: FixedClock) -> Workspace:
    return ensure_workspace(
        session=session, clock=clock, platform=Platform.SLACK, external_id="T1", name="Acme"
    )


def add(
    session: Session, clock: FixedClock, ws: Workspace, name: str, **spec: object
) -> Department:
    return add_department(
        session=session,
        clock=clock,
        workspace_id=ws.id or 0,
        spec=DepartmentSpec(name=name, slack_channel_id=f"C{name.upper()}", **spec),  # type: ignore[arg-type]
    )


def departments_of(session: Session) -> dict[str, str | None]:
    session.expire_all()
    names = {d.id: d.name for d in session.exec(select(Department))}
    found = {m.platform_user_id: names.get(m.department_id) for m in session.exec(select(Member))}
    session.commit()
    return found


async def test_rosters_cover_customer_facing_channels_and_the_smallest_department_wins(
    database_url: str, engine: Engine, session: Session, clock: FixedClock, slack_ws: Workspace
) -> None:
    support = add(session, clock, slack_ws, "Support", customer_facing=True)
    billing = add(session, clock, slack_ws, "Billing")
    sender = RecordingSender()
    sender.channel_users = {
        "CSUPPORT": ["UANA", "UBEN", "UCAROL", "UDAN"],
        "CBILLING": ["UBEN", "UERIN"],
    }
    runtime = build_runtime(load_settings(database_url=database_url), engine=engine, clock=clock)
    scheduler = PromptScheduler(runtime, {"slack": sender}, instance="a")
    assert await scheduler.refresh_rosters() == {"Support": True, "Billing": True}
    assert departments_of(session) == {
        "UANA": "Support",  # customer-facing staff have a department too
        "UBEN": "Billing",  # in both: the smaller, more specific team
        "UCAROL": "Support",
        "UDAN": "Support",
        "UERIN": "Billing",
    }
    # A lead's choice wins, and survives the next roster read.
    ben = session.exec(select(Member).where(Member.platform_user_id == "UBEN")).one()
    set_primary_department(session=session, clock=clock, member=ben, department=support)
    await scheduler.refresh_rosters()
    assert departments_of(session)["UBEN"] == "Support"
    set_primary_department(session=session, clock=clock, member=ben, department=None)
    assert departments_of(session)["UBEN"] == "Billing"  # back to the rule
    # Erin leaves Billing's channel and every other: she keeps the department she had.
    sender.channel_users["CBILLING"] = ["UBEN"]
    await scheduler.refresh_rosters()
    assert departments_of(session)["UERIN"] == "Billing"
    # Someone excluded by hand from Support no longer counts for it.
    dan = session.exec(select(Member).where(Member.platform_user_id == "UDAN")).one()
    set_override(session=session, clock=clock, department=support, member=dan, override="exclude")
    set_override(session=session, clock=clock, department=billing, member=dan, override="include")
    await scheduler.refresh_rosters()
    assert departments_of(session)["UDAN"] == "Billing"


@pytest.mark.usefixtures("cli")
def test_the_command_line_shows_and_overrides_a_persons_department() -> None:
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    run("departments", "add", "Finance", "--slack-channel", "CFIN")
    run("stories", "add", "A customer waited a month for a refund.", "--shared")
    run("prompts", "members", "Finance", "--add", "U123")
    shown = json.loads(run("prompts", "member", "U123", "--json"))
    assert shown == {"person": "U123", "department": None}  # the rule runs at roster reads
    run("departments", "add", "Legal", "--slack-channel", "CLEG")
    set_ = json.loads(run("prompts", "member", "U123", "--department", "Legal", "--json"))
    assert set_ == {"person": "U123", "department": "Legal"}
    back = json.loads(run("prompts", "member", "U123", "--auto", "--json"))
    assert back == {"person": "U123", "department": "Finance"}
    missing = runner.invoke(app, ["prompts", "member", "U999", "--json"])
    assert isinstance(missing.exception, NotFoundError)  # main() prints it as an error
    assert "No person found for 'U999'" in str(missing.exception)
