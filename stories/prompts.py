"""What a platform receives for line-of-sight prompts, and where a department's prompts go.

Platform-free: Slack and Teams renderers turn a `PromptMessage` into Block Kit or an
Adaptive Card; the scheduler in bot/ decides when, `stories.prompt_selection` what.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from stories.models import Department, Platform, PromptDelivery, PromptTemplate, Story, Workspace

# --- what a platform receives -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PromptMessage:
    """Everything a platform needs to post one prompt; the delivery id travels as metadata."""

    delivery_id: int
    workspace_id: int
    workspace_external_id: str
    platform: str  # "slack" | "teams"
    destination: str  # Slack channel id or Teams conversation id
    department_id: int
    department_name: str
    occurrence_at: datetime
    question: str
    question_key: str
    story_id: int
    story_text: str
    customer_label: str | None = None
    touchpoint: str | None = None
    permalink: str | None = None
    answer_by: datetime | None = None  # answers are invited until then
    answer_window_hours: float = 48.0
    matched_touchpoint: bool = True  # False when the story came from the fallback pool
    kind: str = "prompt"  # "harvest": a customer-facing department asked for a story


@dataclass(frozen=True, kw_only=True)
class ReminderMessage:
    """The one reminder of a prompt, sent personally to each member who has not responded
    (`stories.prompt_reminders`), with a link to the prompt; never posted in the channel."""

    prompt: PromptMessage
    message_ref: str  # the platform's reference to the original prompt post
    answers_so_far: int
    text: str
    recipients: tuple[str, ...] = ()  # platform user ids (Slack user, Teams AAD object id)


# --- a prompt and its reminder, filled in -------------------------------------------------


def build_message(
    *,
    delivery: PromptDelivery,
    workspace: Workspace,
    department: Department,
    story: Story,
    template: PromptTemplate,
    platform: str,
    destination: str,
    answer_window: timedelta,
    matched: bool = True,
) -> PromptMessage:
    """The prompt for a claimed delivery, with the story and question it carries."""
    return PromptMessage(
        delivery_id=delivery.id or 0,
        workspace_id=workspace.id or 0,
        workspace_external_id=workspace.external_id,
        platform=platform,
        destination=destination,
        department_id=department.id or 0,
        department_name=department.name,
        occurrence_at=delivery.occurrence_at,
        question=template.text,
        question_key=template.key,
        story_id=story.id or 0,
        story_text=story.text,
        customer_label=story.customer_label,
        touchpoint=story.touchpoint,
        permalink=story.permalink,
        answer_by=delivery.occurrence_at + answer_window,
        answer_window_hours=answer_window.total_seconds() / 3600,
        matched_touchpoint=matched,
    )


def reminder_text(*, department: str, answers_so_far: int, answer_by: datetime | None) -> str:
    """The one reminder, to a member who has not responded: why them, and until when."""
    if answers_so_far == 0:
        others = "Nobody in " + department + " has reflected on it yet."
    elif answers_so_far == 1:
        others = "One colleague has reflected on it so far."
    else:
        others = f"{answers_so_far} colleagues have reflected on it so far."
    until = f" Answers are open until {answer_by:%a %d %b %H:%M} UTC." if answer_by else ""
    return (
        f"{department} was sent a customer story and a question you have not answered yet. "
        f"{others} If it touches your work, a sentence or two helps; if not, mark it "
        f'"not relevant" and it will stop coming.{until}'
    )


# --- where a department's prompts go ------------------------------------------------------


def destination_for(
    workspace: Workspace, department: Department, platforms: Collection[str]
) -> tuple[str, str] | None:
    """(platform, destination) for a department among the platforms that can send, or None."""
    options: list[tuple[str, str | None]]
    if workspace.platform == Platform.SLACK:
        options = [("slack", department.slack_channel_id)]
    elif workspace.platform == Platform.TEAMS:
        options = [("teams", department.teams_conversation_id)]
    else:  # a local workspace may still name a channel on either platform
        options = [
            ("slack", department.slack_channel_id),
            ("teams", department.teams_conversation_id),
        ]
    for platform, destination in options:
        if destination and platform in platforms:
            return platform, destination
    return None
