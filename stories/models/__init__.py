"""Sightline's tables and their column types.

One module per area; each new area adds its module here so that importing
`stories.models` registers every table (migrations and tests rely on it).
"""

from stories.models.allowance import PostAllowance
from stories.models.dashboard import DashboardLink, DashboardSession
from stories.models.inbox import InboxItem
from stories.models.prompt_settings import (
    DepartmentPromptSettings,
    HarvestStory,
    PrimaryDepartment,
)
from stories.models.rights import (
    ErasedStories,
    HousekeepingRun,
    MemberPost,
    WorkspaceDataPolicy,
    WorkspaceRemoval,
)
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
from stories.models.workspaces import ChatWelcome, WorkspaceLead, WorkspaceSettings

__all__ = [
    "AuditEvent",
    "ChatConversation",
    "ChatWelcome",
    "DashboardLink",
    "DashboardSession",
    "DeliveryStatus",
    "Department",
    "DepartmentMember",
    "DepartmentPromptSettings",
    "DepartmentRoster",
    "Emotion",
    "Engagement",
    "EngagementKind",
    "EnumString",
    "ErasedStories",
    "HarvestStory",
    "HousekeepingRun",
    "InboxItem",
    "Member",
    "MemberPost",
    "MemberPreference",
    "Platform",
    "PostAllowance",
    "PrimaryDepartment",
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
    "WorkspaceDataPolicy",
    "WorkspaceLead",
    "WorkspaceRemoval",
    "WorkspaceSettings",
    "sized",
]
