"""Departments and workspaces through the service layer, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from stories.clock import FixedClock
from stories.departments import (
    DepartmentSpec,
    add_department,
    edit_department,
    get_department,
    list_departments,
    parse_days,
    set_paused,
)
from stories.errors import AmbiguousWorkspaceError, DuplicateError, InvalidFieldError, NotFoundError
from stories.models import AuditEvent, Platform, Workspace
from stories.workspaces import ensure_member, ensure_workspace, resolve_workspace


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("weekdays", "mon,tue,wed,thu,fri"),
        ("daily", "mon,tue,wed,thu,fri,sat,sun"),
        ("Tue, Thu", "tue,thu"),
        ("fri-mon", "mon,fri,sat,sun"),
        ("thursday,monday", "mon,thu"),
    ],
)
def test_parse_days(raw: str, expected: str) -> None:
    assert parse_days(raw) == expected


@pytest.mark.parametrize("raw", ["", "someday", "mon-xyz", ",,"])
def test_parse_days_rejects_nonsense(raw: str) -> None:
    with pytest.raises(InvalidFieldError, match="days"):
        parse_days(raw)


def test_add_department_validates_and_audits(
    session: Session, clock: FixedClock, workspace: Workspace
) -> None:
    wid = workspace.id or 0
    spec = DepartmentSpec(
        name="  Finance  Ops ",
        timezone="Europe/London",
        prompt_time="9:05",
        prompt_days="mon-fri",
        cadence_weeks=2,
        holiday_country="gb",
    )
    finance = add_department(session=session, clock=clock, workspace_id=wid, spec=spec)
    assert finance.name == "Finance Ops"
    assert finance.prompt_time == "09:05"
    assert finance.prompt_days == "mon,tue,wed,thu,fri"
    assert finance.holiday_country == "GB"
    assert finance.customer_facing is False
    assert session.exec(select(AuditEvent.action)).all() == ["department.added"]


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (DepartmentSpec(name="Legal", timezone="Mars/Olympus"), "timezone"),
        (DepartmentSpec(name="Legal", prompt_time="25:00"), "time"),
        (DepartmentSpec(name="Legal", cadence_weeks=0), "every"),
        (DepartmentSpec(name="Legal", holiday_country="XX"), "holidays"),
        (DepartmentSpec(name=""), "name"),
        (DepartmentSpec(), "name"),
    ],
)
def test_bad_department_fields_are_refused(
    session: Session, clock: FixedClock, workspace: Workspace, spec: DepartmentSpec, field: str
) -> None:
    with pytest.raises(InvalidFieldError) as raised:
        add_department(session=session, clock=clock, workspace_id=workspace.id or 0, spec=spec)
    assert raised.value.field == field
    assert list_departments(session=session, workspace_id=workspace.id or 0) == []


def test_names_are_unique_in_any_case(
    session: Session, clock: FixedClock, workspace: Workspace
) -> None:
    wid = workspace.id or 0
    add_department(session=session, clock=clock, workspace_id=wid, spec=DepartmentSpec(name="IT"))
    with pytest.raises(DuplicateError):
        add_department(
            session=session, clock=clock, workspace_id=wid, spec=DepartmentSpec(name="it")
        )
    legal = add_department(
        session=session, clock=clock, workspace_id=wid, spec=DepartmentSpec(name="Legal")
    )
    with pytest.raises(DuplicateError):
        edit_department(
            session=session,
            clock=clock,
            workspace_id=wid,
            name="legal",
            spec=DepartmentSpec(name="It"),
        )
    assert get_department(session=session, workspace_id=wid, name="LEGAL").id == legal.id
    assert [d.name for d in list_departments(session=session, workspace_id=wid)] == ["IT", "Legal"]


def test_edit_changes_only_given_fields(
    session: Session, clock: FixedClock, workspace: Workspace
) -> None:
    wid = workspace.id or 0
    add_department(
        session=session,
        clock=clock,
        workspace_id=wid,
        spec=DepartmentSpec(name="HR", timezone="America/New_York", prompt_time="11:00"),
    )
    edited = edit_department(
        session=session,
        clock=clock,
        workspace_id=wid,
        name="hr",
        spec=DepartmentSpec(slack_channel_id="C0HR"),
    )
    assert edited.slack_channel_id == "C0HR"
    assert edited.timezone == "America/New_York"
    assert edited.prompt_time == "11:00"


def test_pause_and_resume(session: Session, clock: FixedClock, workspace: Workspace) -> None:
    wid = workspace.id or 0
    add_department(session=session, clock=clock, workspace_id=wid, spec=DepartmentSpec(name="Ops"))
    until = datetime(2027, 1, 4, tzinfo=UTC)
    paused = set_paused(
        session=session, clock=clock, workspace_id=wid, name="ops", paused=True, until=until
    )
    assert paused.paused
    assert paused.paused_until == until
    resumed = set_paused(session=session, clock=clock, workspace_id=wid, name="ops", paused=False)
    assert not resumed.paused
    assert resumed.paused_until is None
    with pytest.raises(NotFoundError):
        set_paused(session=session, clock=clock, workspace_id=wid, name="nobody", paused=True)


def test_workspaces_and_members_are_created_once(session: Session, clock: FixedClock) -> None:
    first = ensure_workspace(
        session=session, clock=clock, platform=Platform.SLACK, external_id="T1", name="Acme"
    )
    again = ensure_workspace(
        session=session, clock=clock, platform=Platform.SLACK, external_id="T1", name="Acme Inc"
    )
    assert again.id == first.id
    assert again.name == "Acme Inc"
    assert resolve_workspace(session=session, key=None).id == first.id
    ensure_workspace(
        session=session, clock=clock, platform=Platform.TEAMS, external_id="tenant", name="Acme"
    )
    with pytest.raises(AmbiguousWorkspaceError):
        resolve_workspace(session=session, key=None)
    assert resolve_workspace(session=session, key="T1").id == first.id
    with pytest.raises(NotFoundError):
        resolve_workspace(session=session, key="T404")

    member = ensure_member(
        session=session,
        clock=clock,
        workspace_id=first.id or 0,
        platform_user_id="U1",
        display_name="Ana",
    )
    same = ensure_member(
        session=session, clock=clock, workspace_id=first.id or 0, platform_user_id="U1"
    )
    assert same.id == member.id
    assert same.display_name == "Ana"
