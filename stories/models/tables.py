"""Stored models. Every row belongs to a workspace; times are stored as UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, String, TypeDecorator, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no offset of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)


class EnumString(TypeDecorator[E]):
    """A StrEnum kept as plain text (no database enum types to migrate), loaded as the enum."""

    impl = String(32)
    cache_ok = True

    def __init__(self, enum: type[E]) -> None:
        super().__init__()
        self._enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self._enum(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self._enum(value)


class Platform(StrEnum):
    SLACK = "slack"
    TEAMS = "teams"
    LOCAL = "local"  # CLI-only and demo workspaces


class SourceKind(StrEnum):
    SLASH = "slash"
    MODAL = "modal"
    SHORTCUT = "shortcut"
    REACTION = "reaction"
    TEAMS_MESSAGE = "teams_message"
    TEAMS_EXTENSION = "teams_extension"
    TEAMS_FORM = "teams_form"
    IMPORT = "import"
    CLI = "cli"


class Emotion(StrEnum):
    DELIGHTED = "delighted"
    HAPPY = "happy"
    NEUTRAL = "neutral"
    CONFUSED = "confused"
    FRUSTRATED = "frustrated"
    ANGRY = "angry"
    ANXIOUS = "anxious"


class EngagementKind(StrEnum):
    RESONATES = "resonates"
    VIEW = "view"


class DeliveryStatus(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # holiday, pause window, paused department
    MISSED = "missed"  # the bot was down for longer than the grace period


def sized(length: int) -> Any:
    return String(length)


class Workspace(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("platform", "external_id", name="uq_workspace_platform_ext"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: Platform = Field(sa_type=EnumString(Platform))
    external_id: str = Field(sa_type=sized(128))
    name: str = Field(sa_type=sized(200))
    active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)


class Department(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("workspace_id", "name_key", name="uq_department_name"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    name: str = Field(sa_type=sized(80))
    name_key: str = Field(sa_type=sized(80))  # casefolded name: "Finance" and "finance" are one
    customer_facing: bool = False
    slack_channel_id: str | None = Field(default=None, sa_type=sized(64))
    teams_conversation_id: str | None = Field(default=None, sa_type=sized(300))
    timezone: str = Field(default="UTC", sa_type=sized(64))
    prompt_time: str = Field(default="10:00", sa_type=sized(5))  # HH:MM local time
    prompt_days: str = Field(default="tue", sa_type=sized(40))  # e.g. "mon,wed,fri"
    cadence_weeks: int = 1  # 1 weekly (or daily with every day listed), 2 fortnightly, …
    holiday_country: str | None = Field(default=None, sa_type=sized(8))
    holiday_subdivision: str | None = Field(default=None, sa_type=sized(16))
    paused: bool = False
    paused_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Member(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("workspace_id", "platform_user_id", name="uq_member_user"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    platform_user_id: str = Field(sa_type=sized(128))
    display_name: str = Field(default="", sa_type=sized(200))
    department_id: int | None = Field(
        default=None, foreign_key="department.id", index=True, ondelete="SET NULL"
    )
    is_cx_lead: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime)


class Story(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("workspace_id", "source_ref", name="uq_story_source"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    text: str
    customer_label: str | None = Field(default=None, sa_type=sized(120))
    touchpoint: str | None = Field(default=None, sa_type=sized(60), index=True)
    emotion: Emotion | None = Field(default=None, sa_type=EnumString(Emotion))
    source_kind: SourceKind = Field(sa_type=EnumString(SourceKind))
    source_ref: str | None = Field(default=None, sa_type=sized(300))
    permalink: str | None = Field(default=None, sa_type=sized(500))
    author_member_id: int | None = Field(
        default=None, foreign_key="member.id", index=True, ondelete="SET NULL"
    )
    captured_by_member_id: int | None = Field(
        default=None, foreign_key="member.id", ondelete="SET NULL"
    )
    # The author's department when the story was captured, for silo and participation figures.
    department_id: int | None = Field(
        default=None, foreign_key="department.id", index=True, ondelete="SET NULL"
    )
    channel_id: str | None = Field(default=None, sa_type=sized(300))
    channel_private: bool = False
    shared: bool = False  # may be posted to public channels and used in prompts
    channel_post_ref: str | None = Field(default=None, sa_type=sized(300))
    redaction_count: int = 0
    themes: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Engagement(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("story_id", "member_id", "kind", name="uq_engagement_once"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    story_id: int = Field(foreign_key="story.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    department_id: int | None = Field(
        default=None, foreign_key="department.id", ondelete="SET NULL"
    )
    # The story's department, copied by a database trigger for the summary rollups (0009).
    story_department_id: int | None = None
    kind: EngagementKind = Field(sa_type=EnumString(EngagementKind))
    created_at: datetime = Field(sa_type=UTCDateTime)


class PromptTemplate(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_type=sized(80), unique=True)
    area: str = Field(sa_type=sized(40), index=True)  # finance, legal, it, hr, operations, …
    text: str
    active: bool = True


class PromptDelivery(SQLModel, table=True):
    """One row per (target, occurrence): the claim that makes sends exactly-once."""

    __table_args__ = (
        UniqueConstraint(
            "workspace_id", "kind", "target", "occurrence_at", name="uq_delivery_occurrence"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    kind: str = Field(default="prompt", sa_type=sized(16))  # prompt | digest
    target: str = Field(sa_type=sized(80))  # "department:<id>" or "leads"
    department_id: int | None = Field(
        default=None, foreign_key="department.id", index=True, ondelete="CASCADE"
    )
    occurrence_at: datetime = Field(sa_type=UTCDateTime)
    status: DeliveryStatus = Field(sa_type=EnumString(DeliveryStatus), index=True)
    story_id: int | None = Field(default=None, foreign_key="story.id", ondelete="SET NULL")
    template_id: int | None = Field(
        default=None, foreign_key="prompttemplate.id", ondelete="SET NULL"
    )
    claimed_by: str | None = Field(default=None, sa_type=sized(120))
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    message_ref: str | None = Field(default=None, sa_type=sized(300))
    reason: str | None = Field(default=None, sa_type=sized(500))
    reminder_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Kept by a database trigger on every answer written or removed (migration 0009).
    answer_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class PromptAnswer(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("delivery_id", "member_id", name="uq_answer_member"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    delivery_id: int = Field(foreign_key="promptdelivery.id", index=True, ondelete="CASCADE")
    story_id: int | None = Field(
        default=None, foreign_key="story.id", index=True, ondelete="SET NULL"
    )
    member_id: int = Field(foreign_key="member.id", ondelete="CASCADE")
    department_id: int | None = Field(
        default=None, foreign_key="department.id", ondelete="SET NULL"
    )
    text: str
    redaction_count: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)
    # Set by database triggers (migration 0009): when the answered prompt was delivered, and
    # the story's department, for the summary rollups.
    prompted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    story_department_id: int | None = None


class StoryDay(SQLModel, table=True):
    """Stories captured per UTC day, counted by source, touchpoint and emotion ('' for none).

    Kept by database triggers on ``story`` (migration 0009); never written by the application.
    """

    workspace_id: int = Field(foreign_key="workspace.id", primary_key=True, ondelete="CASCADE")
    day: date = Field(primary_key=True)
    dimension: str = Field(primary_key=True, sa_type=sized(12))  # source | touchpoint | emotion
    key: str = Field(primary_key=True, sa_type=sized(60))
    n: int


class SiloDay(SQLModel, table=True):
    """Resonates and story answers per UTC day, by whether the giver's department is not the
    story's. Only rows where both departments are known. Kept by triggers (migration 0009)."""

    workspace_id: int = Field(foreign_key="workspace.id", primary_key=True, ondelete="CASCADE")
    day: date = Field(primary_key=True)
    kind: str = Field(primary_key=True, sa_type=sized(12))  # resonates | answer
    other_department: bool = Field(primary_key=True)
    n: int


class StoryResonance(SQLModel, table=True):
    """A story's "This resonates" so far, and how many came from other departments.

    Kept by triggers on ``engagement`` and ``story`` (migration 0009).
    """

    story_id: int = Field(foreign_key="story.id", primary_key=True, ondelete="CASCADE")
    workspace_id: int = Field(foreign_key="workspace.id", ondelete="CASCADE")
    created_at: datetime = Field(sa_type=UTCDateTime)  # the story's
    resonates: int
    from_other: int


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    actor_member_id: int | None = Field(default=None, foreign_key="member.id", ondelete="SET NULL")
    action: str = Field(sa_type=sized(60))
    subject_type: str = Field(sa_type=sized(40))
    subject_id: int | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class StorytellerNotice(SQLModel, table=True):
    """The one message that tells a storyteller how a department answered a prompt about
    their story: the row claims it (one per delivery) and keeps it, so later answers
    update that message instead of sending more."""

    delivery_id: int = Field(foreign_key="promptdelivery.id", primary_key=True, ondelete="CASCADE")
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    message_ref: str | None = Field(default=None, sa_type=sized(300))  # None: being sent
    answers_shown: int = 0
    claimed_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class StoryFeedback(SQLModel, table=True):
    """ "Not relevant to us": one mark per member, lowering a story's score for a department."""

    __table_args__ = (
        UniqueConstraint("story_id", "department_id", "member_id", name="uq_story_feedback"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    story_id: int = Field(foreign_key="story.id", index=True, ondelete="CASCADE")
    department_id: int = Field(foreign_key="department.id", index=True, ondelete="CASCADE")
    member_id: int | None = Field(default=None, foreign_key="member.id", ondelete="CASCADE")
    delivery_id: int | None = Field(
        default=None, foreign_key="promptdelivery.id", ondelete="SET NULL"
    )
    kind: str = Field(default="not_relevant", sa_type=sized(32))
    created_at: datetime = Field(sa_type=UTCDateTime)


class MemberPreference(SQLModel, table=True):
    """A member's own switches; a missing row means every default (notifications on)."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True, ondelete="CASCADE")
    author_notifications: bool = True  # DM me when another department reflects on my story
    updated_at: datetime = Field(sa_type=UTCDateTime)


class SchedulerHeartbeat(SQLModel, table=True):
    """Each scheduler instance's signs of life: when it last swept (so a restart knows how
    long it was down), and the lease its claims hold (alive within the lease, started when)."""

    id: int | None = Field(default=None, primary_key=True)
    instance: str = Field(sa_type=sized(120), unique=True)
    last_sweep_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # None: never swept
    alive_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # last heartbeat
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # this process's start


class DepartmentMember(SQLModel, table=True):
    """Who a department's prompts reach: its channel's members plus manual overrides."""

    __table_args__ = (UniqueConstraint("department_id", "member_id", name="uq_department_member"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    department_id: int = Field(foreign_key="department.id", index=True, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    in_channel: bool = False  # seen in the linked channel at the last refresh
    override: str | None = Field(default=None, sa_type=sized(16))  # "include" | "exclude"
    updated_at: datetime = Field(sa_type=UTCDateTime)


class DepartmentRoster(SQLModel, table=True):
    """The last attempt to read a department's channel members (flagged when unreadable)."""

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id", unique=True, ondelete="CASCADE")
    readable: bool = True
    error: str | None = Field(default=None, sa_type=sized(300))
    member_count: int = 0
    refreshed_at: datetime = Field(sa_type=UTCDateTime)


class ChatConversation(SQLModel, table=True):
    """Where the bot can post unprompted: a platform's saved reference to a conversation.

    Teams needs the reference (service URL, ids) captured from an earlier turn to send a
    proactive message; it is refreshed on every turn and dropped on uninstall.
    """

    __table_args__ = (
        UniqueConstraint("workspace_id", "conversation_id", name="uq_chat_conversation"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True, ondelete="CASCADE")
    conversation_id: str = Field(sa_type=sized(300))
    kind: str = Field(default="", sa_type=sized(20))  # personal | groupChat | channel
    reference: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    active: bool = True
    updated_at: datetime = Field(sa_type=UTCDateTime)
