"""Per-department prompt settings that are not part of the schedule itself."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from stories.models.tables import UTCDateTime, sized


class DepartmentPromptSettings(SQLModel, table=True):
    """A department's own prompt settings; a missing row (or an empty field) means the
    workspace-wide default from settings."""

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id", unique=True, ondelete="CASCADE")
    # Hours after a prompt is sent that its one reminder goes to those who have not
    # responded; 0: no reminder; None: SIGHTLINE_PROMPT_REMINDER_AFTER_HOURS.
    reminder_after_hours: float | None = None
    # Answers stored under a per-member pseudonym, never the member (stories.anonymous_answers).
    anonymous_answers: bool = False
    anonymous_salt: str | None = Field(default=None, sa_type=sized(64))  # made when first on
    updated_at: datetime = Field(sa_type=UTCDateTime)


class PrimaryDepartment(SQLModel, table=True):
    """A CX lead's choice of a member's primary department, over the rule
    (`stories.primary_department`); the member's ``department_id`` follows it."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True, ondelete="CASCADE")
    department_id: int = Field(foreign_key="department.id", ondelete="CASCADE")
    updated_at: datetime = Field(sa_type=UTCDateTime)


class HarvestStory(SQLModel, table=True):
    """A story told in answer to a story-harvest prompt: credited to its teller (on the
    story) and to the department that was asked (here and on the story)."""

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="promptdelivery.id", index=True, ondelete="CASCADE")
    story_id: int = Field(foreign_key="story.id", unique=True, ondelete="CASCADE")
    department_id: int = Field(foreign_key="department.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(sa_type=UTCDateTime)
