"""Sightline's tables and their column types.

One module per area; each new area adds its module here so that importing
`stories.models` registers every table (migrations and tests rely on it).
"""

from stories.models.allowance import PostAllowance
from stories.models.prompt_settings import DepartmentPromptSettings
from stories.models.tables import (
    AuditEvent,
    ChatConversation,
    DeliveryStatus,
    Department,
    DepartmentMember,
    DepartmentRoster,
    Emotion,
    Engagement,
    EngagementKind,
    EnumString,
    Member,
    MemberPreference,
    Platform,
    PromptAnswer,
    PromptDelivery,
    PromptTemplate,
    SchedulerHeartbeat,
    SiloDay,
    SourceKind,
    Story,
    StoryDay,
    StoryFeedback,
    StoryResonance,
    StorytellerNotice,
    UTCDateTime,
    Workspace,
    sized,
)

__all__ = [
    "AuditEvent",
    "ChatConversation",
    "DeliveryStatus",
    "Department",
    "DepartmentMember",
    "DepartmentPromptSettings",
    "DepartmentRoster",
    "Emotion",
    "Engagement",
    "EngagementKind",
    "EnumString",
    "Member",
    "MemberPreference",
    "Platform",
    "PostAllowance",
    "PromptAnswer",
    "PromptDelivery",
    "PromptTemplate",
    "SchedulerHeartbeat",
    "SiloDay",
    "SourceKind",
    "Story",
    "StoryDay",
    "StoryFeedback",
    "StoryResonance",
    "StorytellerNotice",
    "UTCDateTime",
    "Workspace",
    "sized",
]
