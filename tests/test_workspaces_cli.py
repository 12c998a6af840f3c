"""`sightline workspaces settings` and `sightline leads`: what leads set from chat, by an
admin from the command line, per workspace, with JSON that stays valid when empty."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli import app
from bot.cli.context import STATE
from stories.errors import AmbiguousWorkspaceError, InvalidFieldError
from stories.models import Member, Platform
from stories.workspaces import ensure_member, ensure_workspace

runner = CliRunner()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def two_workspaces() -> None:
    with STATE.session() as session:
        clock = STATE.runtime.clock
        for platform, external, name in (
            (Platform.SLACK, "T-ACME", "Acme"),
            (Platform.TEAMS, "tenant-contoso", "Contoso"),
        ):
            ws = ensure_workspace(
                session=session, clock=clock, platform=platform, external_id=external, name=name
            )
        ensure_member(
            session=session, clock=clock, workspace_id=ws.id or 0, platform_user_id="aad-dan"
        )


@pytest.mark.usefixtures("cli")
def test_settings_and_leads_per_workspace_from_the_command_line() -> None:
    assert json.loads(run("workspaces", "list", "--json")) == {"schema": 1, "workspaces": []}
    two_workspaces()
    run(
        "workspaces",
        "settings",
        "-w",
        "Acme",
        "--stories-channel",
        "C-ACME",
        "--leads-channel",
        "C-L",
    )
    run("workspaces", "settings", "-w", "tenant-contoso", "--stories-channel", "19:cs@thread.tacv2")
    run("workspaces", "settings", "-w", "tenant-contoso", "--name", "Contoso Ltd")
    acme = json.loads(run("workspaces", "settings", "-w", "Acme", "--json"))["workspace"]
    assert (acme["stories_channel"], acme["leads_channel"]) == ("C-ACME", "C-L")
    contoso = json.loads(run("workspaces", "settings", "-w", "Contoso Ltd", "--json"))["workspace"]
    assert contoso["name"] == "Contoso Ltd"
    assert (contoso["stories_channel"], contoso["leads_channel"]) == ("19:cs@thread.tacv2", None)

    assert json.loads(run("leads", "list", "-w", "Contoso Ltd", "--json"))["leads"] == []
    assert (
        json.loads(run("leads", "add", "aad-dan", "-w", "tenant-contoso", "--json"))["added"]
        is True
    )
    assert "is now a CX lead of Contoso" in run(
        "leads", "add", "Erin@Contoso.com", "-w", "tenant-contoso"
    )
    listed = json.loads(run("leads", "list", "-w", "tenant-contoso", "--json"))["leads"]
    assert [lead["identity"] for lead in listed] == ["aad-dan", "erin@contoso.com"]
    assert json.loads(run("leads", "list", "-w", "Acme", "--json"))["leads"] == []
    with Session(STATE.runtime.engine) as session:
        [dan] = session.exec(select(Member).where(Member.platform_user_id == "aad-dan")).all()
        assert dan.is_cx_lead

    assert json.loads(run("leads", "remove", "AAD-DAN", "-w", "tenant-contoso", "--json"))[
        "removed"
    ]
    run("workspaces", "settings", "-w", "Acme", "--stories-channel", "default")
    acme = json.loads(run("workspaces", "settings", "-w", "Acme", "--json"))["workspace"]
    assert acme["stories_channel"] is None
    with Session(STATE.runtime.engine) as session:
        [dan] = session.exec(select(Member).where(Member.platform_user_id == "aad-dan")).all()
        assert not dan.is_cx_lead


@pytest.mark.usefixtures("cli")
def test_several_workspaces_need_one_named_and_a_bad_lead_is_refused() -> None:
    two_workspaces()
    with pytest.raises(AmbiguousWorkspaceError):
        runner.invoke(app, ["leads", "list"], catch_exceptions=False)
    with pytest.raises(InvalidFieldError, match="chat user id or e-mail"):
        runner.invoke(app, ["leads", "add", " ", "-w", "Acme"], catch_exceptions=False)
