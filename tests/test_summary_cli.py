"""`sightline summary` against a real database: tables, Markdown, JSON and the chart file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def summary_json(*args: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(run("summary", *args, "--json"))
    return payload


def _add_stories() -> None:
    run("stories", "add", "A customer was billed twice for one refund.", "--touchpoint", "billing")
    run("stories", "add", "She waited a week for a refund to arrive.", "--touchpoint", "billing")
    run("stories", "add", "The login page rejected a valid password.", "--touchpoint", "login")


@pytest.mark.usefixtures("cli")
def test_json_summary_counts_what_was_captured() -> None:
    _add_stories()
    payload = summary_json("--period", "7d")
    assert payload["schema"] == 1
    assert payload["period"]["label"] == "last 7 days"
    assert payload["stories"] == {"value": 3, "previous": 0, "delta": 3, "direction": "up"}
    assert [(c["key"], c["change"]["value"]) for c in payload["by_touchpoint"]] == [
        ("billing", 2),
        ("login", 1),
    ]
    assert [(c["key"], c["change"]["value"]) for c in payload["by_source"]] == [("cli", 3)]
    # Nothing was asked, so rates are unknown rather than zero.
    assert payload["response_rate"]["value"] is None
    assert payload["participation"]["value"] is None
    assert {t["phrase"] for t in payload["themes"]} >= {"refund"}
    assert sum(e["count"]["value"] for e in payload["emotions"]) == 3
    assert payload["emotions_inferred"] == 3  # none were given an emotion


@pytest.mark.usefixtures("cli")
def test_tables_markdown_and_chart(tmp_path: Path) -> None:
    _add_stories()
    out = run("summary", "--period", "30d", "--chart", "summary.png")
    assert "Headline figures" in out
    assert "stories captured" in out
    assert "Chart written to summary.png." in out
    with Image.open(tmp_path / "summary.png") as image:
        assert image.size == (1200, 700)

    markdown = run("summary", "--period", "quarter", "--markdown")
    assert markdown.startswith("# Summary for Local (command line)")
    assert "- Stories captured: 3 (up 3 from 0)" in markdown
    assert "- Response rate: n/a" in markdown


@pytest.mark.usefixtures("cli")
def test_department_filter_and_demo_data() -> None:
    run("demo-data")
    whole = summary_json("--period", "90d", "--workspace", "demo")
    assert whole["stories"]["value"] > 0
    assert sum(c["change"]["value"] for c in whole["by_source"]) == whole["stories"]["value"]
    assert len(whole["departments"]) > 1
    assert whole["most_resonated"]
    name = whole["departments"][0]["name"]
    one = summary_json("--period", "90d", "--workspace", "demo", "--department", name.upper())
    assert one["department"]["name"] == name
    assert [d["name"] for d in one["departments"]] == [name]
    assert one["stories"]["value"] <= whole["stories"]["value"]


def test_bad_period_and_unknown_department_are_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "SIGHTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}

    def sightline(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "from bot.cli import main; main()", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            check=False,
        )

    sightline("db", "upgrade")
    sightline("stories", "add", "A customer was billed twice for one refund.")
    bad = sightline("summary", "--period", "fortnight")
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "sightline: period: 'fortnight' is not a period; use 7d, 30d, 90d, quarter "
        "or a date range like 2026-10-01..2026-10-31"
    )
    unknown = sightline("summary", "--department", "Astrology")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "sightline: No department found for 'Astrology'."
