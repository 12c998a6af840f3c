"""Neutral view models: what a person sees and which actions it offers, on either platform.

The core builds these once; ``handlers/slack`` renders them as Block Kit and
``handlers/teams`` as Adaptive Cards. Nothing here knows a platform's syntax: texts are plain
(each renderer escapes for its own markup) and actions are named, not drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

from stories.models import Emotion

T = TypeVar("T")


class StoryAction(StrEnum):
    """What a person may do with a story where it is shown."""

    RESONATE = "resonate"
    EDIT = "edit"
    DELETE = "delete"


class Tone(StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"


@dataclass(frozen=True, kw_only=True)
class StoryView:
    """One story as a person may see it (its text already checked against visibility)."""

    id: int
    text: str
    customer_label: str | None = None
    touchpoint: str | None = None
    emotion: Emotion | None = None
    permalink: str | None = None
    teller_id: str | None = None  # the teller's platform user id, credited by name
    teller_name: str | None = None
    department: str | None = None
    created_at: datetime | None = None
    redactions: int = 0
    resonates: int = 0
    resonated_with: tuple[tuple[str, int], ...] = ()  # (department, count), most first
    actions: tuple[StoryAction, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Notice:
    """A short message: a confirmation, a refusal, an error a person can act on."""

    text: str
    tone: Tone = Tone.INFO
    title: str | None = None


@dataclass(frozen=True, kw_only=True)
class StoryReply:
    """A story with a line above it (captured, edited, picked at random)."""

    heading: str
    story: StoryView
    created: bool = True  # False: this source (or a retry of it) had already been saved


@dataclass(frozen=True, kw_only=True)
class ResonateReply:
    story: StoryView  # with the new tally
    counted: bool  # False: this person had already said so
    text: str


@dataclass(frozen=True, kw_only=True)
class SearchReply:
    query: str
    heading: str  # e.g. 'Stories matching "refund" (1–5)'
    stories: tuple[StoryView, ...]
    empty: str | None = None  # shown instead of stories when there are none
    next_offset: int | None = None  # None: no more pages


@dataclass(frozen=True, kw_only=True)
class PromptRecap:
    """A recent prompt of the member's department and the first answers to it."""

    question: str
    answers: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class HomeView:
    """What the Slack Home tab and Teams' ``home`` show a member."""

    intro: str
    own: tuple[StoryView, ...]
    own_empty: str
    latest: tuple[StoryView, ...]
    latest_empty: str
    department: str | None
    prompts: tuple[PromptRecap, ...]
    prompts_empty: str


@dataclass(frozen=True, kw_only=True)
class CaptureForm:
    """The capture (or edit) form: same fields and rules on both platforms."""

    title: str
    submit: str
    story_id: int | None = None  # set when editing
    text: str = ""
    customer_label: str = ""
    touchpoint: str = ""
    emotion: Emotion | None = None
    share: bool = False
    share_label: str = "Share to the stories channel"
    source: dict[str, Any] = field(default_factory=dict)  # where the story came from (opaque)
    errors: dict[str, str] = field(default_factory=dict)  # field name -> message


@dataclass(frozen=True, kw_only=True)
class FormInput:
    """What a person typed into the capture form, read back by a platform."""

    text: str
    customer_label: str | None = None
    touchpoint: str | None = None
    emotion: Emotion | None = None
    share: bool | None = None  # None: not asked (the place decides)


@dataclass(frozen=True, kw_only=True)
class AnswerForm:
    delivery_id: int
    question: str
    story_text: str
    hint: str


@dataclass(frozen=True, kw_only=True)
class AnswerPost:
    """An answer as it appears in the prompt's thread."""

    answerer_id: str
    answerer_name: str | None
    text: str
    edited: bool
    anonymous: bool = False  # an anonymous department's: shown by name ("someone in …") only


@dataclass(frozen=True, kw_only=True)
class AuthorNoticeView:
    """What a storyteller hears when another department reflects on their story."""

    title: str
    department: str
    story_excerpt: str
    answers: tuple[str, ...]
    permalink: str | None = None
    opt_out: str = "Stop these messages"


@dataclass(frozen=True, kw_only=True)
class DepartmentRow:
    name: str
    channel: str | None  # the platform's channel id or conversation key
    schedule: str
    state: str  # e.g. "customer-facing, not prompted", "paused", "no channel yet"


@dataclass(frozen=True, kw_only=True)
class DepartmentsView:
    title: str
    rows: tuple[DepartmentRow, ...]
    empty: str


@dataclass(frozen=True, kw_only=True)
class HelpView:
    """Every command a person may use, as (usage, what it does); leads also see theirs."""

    intro: str
    member: tuple[tuple[str, str], ...]
    lead: tuple[tuple[str, str], ...] = ()
    footer: str = ""


# --- what happens next: effects a platform carries out after answering --------------------


@dataclass(frozen=True, kw_only=True)
class ShareStory:
    """Post a new shareable story to the stories channel, then record where it went."""

    story: StoryView
    destination: str


@dataclass(frozen=True, kw_only=True)
class RefreshPost:
    """Redraw the story's post in the stories channel (edited, resonated)."""

    ref: str
    story: StoryView


@dataclass(frozen=True, kw_only=True)
class RetractPost:
    """Replace the story's post with a line saying it was deleted."""

    ref: str
    text: str


@dataclass(frozen=True, kw_only=True)
class PostAnswer:
    """Post an answer in its prompt's thread."""

    prompt_ref: str
    answer: AnswerPost
    member_id: int | None = None  # the answerer: the post is remembered for their erasure


@dataclass(frozen=True, kw_only=True)
class NotifyAuthor:
    """Tell the storyteller (one message per prompt, updated as more answers arrive)."""

    delivery_id: int
    workspace: str  # the platform's workspace id
    recipient: str  # the teller's platform user id
    notice: AuthorNoticeView
    ref: str | None = None  # the message to update; None: send a new one
    answers_shown: int = 0  # how many answers this message reflects


@dataclass(frozen=True, kw_only=True)
class DeletePost:
    """Delete one of the bot's posts (it carried words of someone who was erased)."""

    ref: str


Effect = ShareStory | RefreshPost | RetractPost | PostAnswer | NotifyAuthor | DeletePost


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A reply for the person who asked, and what should happen after it."""

    reply: T
    effects: tuple[Effect, ...] = ()
