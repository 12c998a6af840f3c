"""The shipped Slack manifest is valid against Slack's schema and fills in URLs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from typer.testing import CliRunner

from bot.cli.app import app
from bot.cli.slack import MANIFEST_PATH, fill_manifest, load_manifest
from bot.slack import BOT_SCOPES

# Slack's published schema (slackapi/manifest-schema, MIT), vendored so the test never skips.
SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "schemas" / "slack-manifest"
RAW = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    root = json.loads((SCHEMAS / "manifest.schema.json").read_text())
    registry: Registry[Any] = Registry()
    for path in sorted((SCHEMAS / "schemas").glob("*.json")):
        resource = Resource.from_contents(
            json.loads(path.read_text()), default_specification=DRAFT7
        )
        registry = registry.with_resource(RAW + path.name, resource)
    return Draft7Validator(root, registry=registry)


def _errors(validator: Draft7Validator, manifest: dict[str, Any]) -> list[str]:
    return [e.message for e in validator.iter_errors(manifest)]


def test_the_validator_rejects_a_broken_manifest(validator: Draft7Validator) -> None:
    # Worth something only if the $refs resolve to the real schema.
    broken = load_manifest()
    broken["features"]["slash_commands"][0]["command"] = "story"  # no leading slash
    broken["settings"]["not_a_setting"] = True
    assert _errors(validator, broken)


def test_shipped_manifest_is_valid(validator: Draft7Validator) -> None:
    assert _errors(validator, load_manifest()) == []


def test_filled_manifests_are_valid(validator: Draft7Validator) -> None:
    http = fill_manifest(load_manifest(), url="https://stories.acme.test/")
    socket = fill_manifest(load_manifest(), url=None, socket_mode=True)
    assert _errors(validator, http) == []
    assert _errors(validator, socket) == []
    assert http["settings"]["event_subscriptions"]["request_url"] == (
        "https://stories.acme.test/slack/events"
    )
    assert http["settings"]["interactivity"]["request_url"] == (
        "https://stories.acme.test/slack/events"
    )
    assert http["features"]["slash_commands"][0]["url"] == "https://stories.acme.test/slack/events"
    assert http["oauth_config"]["redirect_urls"] == [
        "https://stories.acme.test/slack/oauth_redirect"
    ]
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in socket["settings"]["event_subscriptions"]


def test_manifest_asks_for_exactly_the_scopes_the_app_uses() -> None:
    manifest = load_manifest()
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(BOT_SCOPES)
    assert "user" not in manifest["oauth_config"]["scopes"]
    # Writing only where Sightline posts: messages, its own DMs, the chart and export files.
    writes = {s for s in BOT_SCOPES if s.endswith(":write")}
    assert writes == {"chat:write", "im:write", "files:write"}


def test_cli_prints_the_manifest_with_the_url() -> None:
    result = CliRunner().invoke(app, ["slack", "manifest", "--url", "https://s.acme.test"])
    assert result.exit_code == 0, result.output
    printed = yaml.safe_load(result.stdout)
    assert printed["settings"]["event_subscriptions"]["request_url"] == (
        "https://s.acme.test/slack/events"
    )
    assert list(printed) == list(yaml.safe_load(MANIFEST_PATH.read_text()))  # order kept


def test_cli_refuses_a_plain_http_url() -> None:
    result = CliRunner().invoke(app, ["slack", "manifest", "--url", "http://s.acme.test"])
    assert result.exit_code == 2
    assert "https" in result.output
