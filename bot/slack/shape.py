"""Whether a signed Slack payload has the shape Slack documents, before bolt reads it.

bolt reads nested fields without checking their types (``body["event"].get(...)``), so a
payload with a list where Slack sends an object fails inside bolt's middleware, after the
acknowledgement, with a traceback. Slack never sends such a payload; a request that has one
is refused with 400 at the door instead.
"""

from __future__ import annotations

from typing import Any

OBJECTS = (
    "event",
    "view",
    "container",
    "message",
    "previous_message",
    "enterprise",
    "function_data",
    "assistant_thread",
    "user_team",
    "item",
    "state",
)
NULLABLE = ("enterprise",)  # "enterprise": null is how Slack says a workspace has none
IDS_OR_OBJECTS = ("team", "user", "channel")  # an id in some payloads, an object in others
STRINGS = (
    "type",
    "team_id",
    "enterprise_id",
    "user_id",
    "channel_id",
    "response_url",
    "trigger_id",
    "command",
    "text",
    "api_app_id",
    "token",
    "event_id",
)
LISTS_OF_OBJECTS = ("authorizations", "actions", "blocks")


def well_formed(payload: Any, depth: int = 0) -> bool:
    """True when every field bolt reads has the type Slack documents for it."""
    if not isinstance(payload, dict) or depth > 3:
        return isinstance(payload, dict)
    for key in OBJECTS:
        if key not in payload or (key in NULLABLE and payload[key] is None):
            continue
        value = payload[key]
        if not (isinstance(value, dict) and well_formed(value, depth + 1)):
            return False
    for key in IDS_OR_OBJECTS:
        value = payload.get(key)
        if value is not None and not isinstance(value, str | dict):
            return False
        if isinstance(value, dict) and not well_formed(value, depth + 1):
            return False
    if any(not isinstance(payload.get(key), str | None) for key in STRINGS):
        return False
    for key in LISTS_OF_OBJECTS:
        value = payload.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(item, dict) for item in value)
        ):
            return False
    return True
