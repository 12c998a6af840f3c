"""`sightline dashboard link`: a link for a lead, valid JSON, refused for anyone else."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.app import app
from stories.clock import FixedClock
from stories.dashboard.signin import NotALeadError
from stories.models import DashboardLink, Member
from tests.dashboard.conftest import KEY, seed_people


@pytest.fixture
def seeded(cli: None, engine: Engine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGHTLINE_DASHBOARD_SECRET_KEY", KEY)
    monkeypatch.setenv("SIGHTLINE_PUBLIC_URL", "https://sightline.example.com")
    seed_people(engine, clock)


def test_an_admin_prints_a_link_for_a_lead(seeded: None, engine: Engine) -> None:
    result = CliRunner().invoke(
        app, ["dashboard", "link", "-w", "T1", "--lead", "U-LEAD", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["url"].startswith("https://sightline.example.com/dashboard/signin/")
    assert payload["expires_in_minutes"] == 10
    with Session(engine) as session:
        [link] = session.exec(select(DashboardLink)).all()
        lead = session.get(Member, link.member_id)
    assert lead is not None
    assert lead.platform_user_id == "U-LEAD"
    plain = CliRunner().invoke(app, ["dashboard", "link", "-w", "T1", "--lead", "U-LEAD"])
    assert "Works once, for 10 minutes" in plain.output


def test_someone_who_is_not_a_lead_gets_no_link(seeded: None, engine: Engine) -> None:
    result = CliRunner().invoke(app, ["dashboard", "link", "-w", "T1", "--lead", "U-MEMBER"])
    assert isinstance(result.exception, NotALeadError)
    with Session(engine) as session:
        assert session.exec(select(DashboardLink)).all() == []
