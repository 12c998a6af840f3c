"""The `sightline` command line against a real database file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def run(*args: str, ok: bool = True) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result.output


def run_json(*args: str) -> dict[str, object]:
    payload: dict[str, object] = json.loads(run(*args, "--json"))
    return payload


@pytest.mark.usefixtures("cli")
def test_add_list_show_search_delete_round_trip() -> None:
    out = run(
        "stories",
        "add",
        "A customer was billed twice; call her on +44 20 7946 0958 today.",
        "--touchpoint",
        "billing",
        "--customer",
        "Retail, small business",
    )
    assert "Stored story 1 (1 personal detail(s) redacted)." in out
    run(
        "stories",
        "add",
        "The login page rejected a valid password for three days running.",
        "--touchpoint",
        "login",
        "--emotion",
        "angry",
    )

    listed = run_json("stories", "list")
    stories = listed["stories"]
    assert isinstance(stories, list)
    assert [s["touchpoint"] for s in stories] == ["login", "billing"]
    assert listed["schema"]

    shown = run_json("stories", "show", "1")
    story = shown["story"]
    assert isinstance(story, dict)
    assert story["text"] == "A customer was billed twice; call her on [phone] today."

    found = run_json("stories", "search", "billed")
    assert [s["id"] for s in found["stories"]] == [1]  # type: ignore[union-attr]

    assert "Deleted story 1." in run("stories", "delete", "1", "--yes")
    assert run_json("stories", "search", "billed")["stories"] == []


@pytest.mark.usefixtures("cli")
def test_invalid_story_is_refused_with_a_clear_message() -> None:
    from stories.errors import StoryTooShortError

    with pytest.raises(StoryTooShortError):
        runner.invoke(app, ["stories", "add", "too short"], catch_exceptions=False)
    assert run_json("stories", "list")["stories"] == []


@pytest.mark.usefixtures("cli")
def test_departments_add_list_edit_pause_resume() -> None:
    run(
        "departments",
        "add",
        "Finance",
        "--tz",
        "Europe/London",
        "--time",
        "9:30",
        "--days",
        "mon-fri",
        "--holidays",
        "GB",
    )
    run("departments", "add", "Support", "--customer-facing")
    run("departments", "edit", "finance", "--every", "2", "--slack-channel", "C0FIN")
    run("departments", "pause", "Finance", "--until", "2027-01-04")

    listed = run_json("departments", "list")["departments"]
    assert isinstance(listed, list)
    finance = next(d for d in listed if d["name"] == "Finance")
    assert finance["time"] == "09:30"
    assert finance["days"] == "mon,tue,wed,thu,fri"
    assert finance["every_weeks"] == 2
    assert finance["slack_channel_id"] == "C0FIN"
    assert finance["paused"] is True
    assert str(finance["paused_until"]).startswith("2027-01-04")

    run("departments", "resume", "finance")
    listed = run_json("departments", "list")["departments"]
    assert isinstance(listed, list)
    assert all(d["paused"] is False for d in listed)


@pytest.mark.usefixtures("cli")
def test_import_twice_stores_nothing_twice(tmp_path: Path) -> None:
    source = tmp_path / "stories.csv"
    source.write_text(
        "text,touchpoint\n"
        "The refund took three weeks and the customer phoned us every day.,refunds\n"
        ",billing\n",
        encoding="utf-8",
    )
    first = runner.invoke(app, ["stories", "import", str(source)])
    assert "Imported 1 new, 0 already present, 1 rejected." in first.output
    assert "line 3" in first.output
    assert first.exit_code == 1  # rejected rows make the exit status say so
    second = runner.invoke(app, ["stories", "import", str(source)])
    assert "Imported 0 new, 1 already present, 1 rejected." in second.output
    assert len(run_json("stories", "list")["stories"]) == 1  # type: ignore[arg-type]


@pytest.mark.usefixtures("cli")
def test_export_csv_to_file(tmp_path: Path) -> None:
    run("stories", "add", "Customer could not find the invoice download link anywhere.")
    out = tmp_path / "out.csv"
    assert "Exported 1 stories" in run("stories", "export", "--format", "csv", "-o", str(out))
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.usefixtures("cli")
def test_demo_data_is_loaded_once() -> None:
    first = " ".join(run("demo-data").split())  # rich wraps long lines
    again = " ".join(run("demo-data").split())
    assert "Loaded 40 demo stories into the workspace 'Sightline demo'" in first
    assert "already holds all 40 demo stories; nothing was added" in again
    payload = run_json("stories", "list", "--workspace", "demo", "--limit", "100")
    stories = payload["stories"]
    assert isinstance(stories, list)
    assert 35 <= len(stories) <= 50


@pytest.mark.usefixtures("cli")
def test_db_upgrade_is_repeatable() -> None:
    assert "is up to date" in " ".join(run("db", "upgrade").split())
    assert "(up to date)" in run("db", "status")


def test_bad_setting_is_one_friendly_line(tmp_path: Path) -> None:
    env = {**os.environ, "SIGHTLINE_DEFAULT_TIMEZONE": "Mars/Olympus"}
    env["SIGHTLINE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    result = subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", "stories", "list"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "sightline: Setting SIGHTLINE_DEFAULT_TIMEZONE is invalid: "
        "'Mars/Olympus' is not an IANA timezone such as Europe/London"
    )


def test_usage_errors_and_domain_errors_are_short_messages(tmp_path: Path) -> None:
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
    usage = sightline("stories", "list", "--no-such-flag")
    assert usage.returncode == 2
    assert "No such option" in usage.stderr
    assert "Traceback" not in usage.stderr
    missing = sightline("stories", "show", "42")
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "sightline: There are no stories yet. Add one with `sightline stories add`, "
        "or load examples with `sightline demo-data`."
    )
