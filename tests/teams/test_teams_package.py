"""The Teams app package and every Adaptive Card, validated against Microsoft's schemas."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, validators
from PIL import Image
from typer.testing import CliRunner

from bot.cli.app import app
from bot.cli.teams import build_package
from handlers.teams import prompt_cards, story_cards
from handlers.teams.bot import form_invitation
from stories.conversation.views import (
    AnswerPost,
    AuthorNoticeView,
    CaptureForm,
    DepartmentRow,
    DepartmentsView,
    HelpView,
    HomeView,
    PromptRecap,
    SearchReply,
    StoryAction,
    StoryView,
)
from stories.models import Emotion
from stories.prompts import PromptMessage

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
    # Crash recovery reads a channel's posts through Graph, which a team grants at install.
    [rsc] = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert rsc == {"name": "ChannelMessage.Read.Group", "type": "Application"}
    assert manifest["webApplicationInfo"]["id"] == APP_ID
    assert color.size == (192, 192)
    assert outline.size == (32, 32)
    assert outline.getpixel((0, 0))[3] == 0  # transparent background, as Teams requires


def test_package_is_deterministic_in_content() -> None:
    first = zipfile.ZipFile(io.BytesIO(build_package(app_id=APP_ID, url="https://a.example")))
    assert json.loads(first.read("manifest.json"))["id"] == APP_ID


VIEW = StoryView(
    id=7,
    text="She got her refund in minutes",
    customer_label="Acme",
    touchpoint="billing",
    emotion=Emotion.DELIGHTED,
    teller_name="Ada",
    department="Support",
    permalink="https://teams.microsoft.com/l/message/1",
    resonates=3,
    resonated_with=(("Finance", 2),),
    actions=(StoryAction.RESONATE, StoryAction.EDIT, StoryAction.DELETE),
)
PROMPT = PromptMessage(
    delivery_id=3,
    workspace_id=1,
    workspace_external_id="t",
    platform="teams",
    destination="19:c@thread.tacv2",
    department_id=1,
    department_name="Finance",
    occurrence_at=datetime(2026, 11, 3, 9, tzinfo=UTC),
    question="How does billing shape this?",
    question_key="finance-1",
    story_id=7,
    story_text="She got her refund in minutes",
    customer_label="Acme",
    touchpoint="billing",
    permalink="https://teams.microsoft.com/l/message/1",
    answer_by=datetime(2026, 11, 5, 9, tzinfo=UTC),
)
FORM = CaptureForm(
    title="Edit story",
    submit="Save",
    story_id=7,
    text="prefilled",
    emotion=Emotion.ANGRY,
    share=True,
    errors={"text": "too short", "touchpoint": "letters only", "customer_label": "long"},
)


@pytest.mark.parametrize(
    "card",
    [
        story_cards.story_card(VIEW),
        story_cards.story_card(StoryView(id=1, text="Plain")),
        story_cards.search_card(
            SearchReply(query="refund", heading="Stories", stories=(VIEW,), next_offset=5)
        ),
        story_cards.search_card(SearchReply(query="x", heading="None", stories=(), empty="No")),
        story_cards.help_card(HelpView(intro="i", member=(("a", "b"),), lead=(("c", "d"),))),
        story_cards.capture_form_card(FORM),
        story_cards.capture_form_card(CaptureForm(title="Customer story", submit="Save")),
        story_cards.warning_card("Sorry"),
        story_cards.departments_card(
            DepartmentsView(
                title="Departments (1)",
                rows=(DepartmentRow(name="F", channel=None, schedule="s", state="paused"),),
                empty="none",
            )
        ),
        story_cards.home_card(
            HomeView(
                intro="i",
                own=(VIEW,),
                own_empty="",
                latest=(),
                latest_empty="none",
                department="Finance",
                prompts=(PromptRecap(question="q", answers=("a",)),),
                prompts_empty="",
            )
        ),
        prompt_cards.prompt_card(PROMPT),
        prompt_cards.answer_card(
            AnswerPost(answerer_id="u", answerer_name="Ada", text="t", edited=False)
        ),
        prompt_cards.author_notice_card(
            AuthorNoticeView(
                title="t",
                department="Finance",
                story_excerpt="s",
                answers=("a", "b"),
                permalink="https://x.test/1",
            )
        ),
        prompt_cards.reminder_card("Answers close tomorrow"),
        form_invitation(),
    ],
    ids=[
        "story",
        "story-plain",
        "search",
        "search-empty",
        "help",
        "form-errors",
        "form",
        "warning",
        "departments",
        "home",
        "prompt",
        "answer",
        "author-notice",
        "reminder",
        "form-invitation",
    ],
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
