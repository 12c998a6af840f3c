"""The Teams app package and every Adaptive Card, validated against Microsoft's schemas."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, validators
from PIL import Image
from typer.testing import CliRunner

from bot.cli.app import app
from bot.cli.teams import build_package
from handlers.teams import cards

# Microsoft's published schemas (MIT), vendored so these tests never skip.
SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "schemas" / "teams"
APP_ID = "00000000-0000-4000-8000-000000000001"


def _validator(name: str) -> Any:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return validators.validator_for(schema, default=Draft7Validator)(schema)


def _errors(validator: Any, document: Any) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]


def test_package_manifest_is_valid_and_icons_have_teams_sizes(tmp_path: Path) -> None:
    out = tmp_path / "sightline-teams.zip"
    result = CliRunner().invoke(
        app,
        [
            "teams",
            "package",
            "--app-id",
            APP_ID,
            "--url",
            "https://bot.example.com",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        color = Image.open(io.BytesIO(archive.read("color.png")))
        outline = Image.open(io.BytesIO(archive.read("outline.png")))
    assert _errors(_validator("MicrosoftTeams.schema.v1.29.json"), manifest) == []
    assert manifest["manifestVersion"] == "1.29"
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["composeExtensions"][0]["commands"][0]["title"] == "Save as customer story"
    assert manifest["validDomains"] == ["bot.example.com"]
    assert color.size == (192, 192)
    assert outline.size == (32, 32)
    assert outline.getpixel((0, 0))[3] == 0  # transparent background, as Teams requires


def test_package_is_deterministic_in_content() -> None:
    first = zipfile.ZipFile(io.BytesIO(build_package(app_id=APP_ID, url="https://a.example")))
    assert json.loads(first.read("manifest.json"))["id"] == APP_ID


VIEW = cards.StoryView(
    story_id=7,
    text="She got her refund in minutes",
    customer_label="Acme",
    touchpoint="billing",
    resonates=3,
)


@pytest.mark.parametrize(
    "card",
    [
        cards.story_card(VIEW),
        cards.story_card(cards.StoryView(story_id=1, text="Plain")),
        cards.search_results_card("refund", [VIEW], has_more=True),
        cards.search_results_card("nothing", [], has_more=False),
        cards.help_card(),
        cards.capture_form_card("prefilled"),
        cards.error_card("Sorry"),
    ],
    ids=["story", "story-plain", "search", "search-empty", "help", "form", "error"],
)
def test_every_card_is_valid_adaptive_card_1_5(card: dict[str, Any]) -> None:
    assert _errors(_validator("adaptive-card-1.5.schema.json"), card) == []
    assert card["version"] == "1.5"


def test_card_schema_rejects_a_broken_card() -> None:
    broken = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "size": "Huge"}],
    }
    assert _errors(_validator("adaptive-card-1.5.schema.json"), broken) != []
