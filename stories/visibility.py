"""Who may read a story's text: one rule for every surface that shows stories.

A story is *shared* when it may be shown to anyone in its workspace: told in a public place,
or told privately and then shared by the person who saved it. Any other story is private to
the two people who can vouch for it: its teller and whoever saved it.

Every surface says who will read what it shows, as a :class:`Viewer`:

* ``Viewer.member(id)``: one person alone (a Slack ephemeral reply, a direct message, a
  personal chat with the bot, the Home tab). They see shared stories and their own.
* ``Viewer.anyone()``: a place several people read (a channel, a group chat, the stories
  channel, a prompt card, a summary's examples, the leads' digest). Shared stories only.
* ``Viewer.steward()``: the installation's data steward (the operator at the command line,
  a CX lead's own export in their direct message). Every story: private stories count in
  every number and go, with their text, only into exports that leave nobody else's hands.

Search, random, the stories feed, the Home view, prompts, summaries, digests and exports all
filter with :func:`visible_clause` (in SQL) or :func:`may_see` (in Python); nothing else
decides it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, or_, true
from sqlmodel import col

from stories.models import Story


class Audience(StrEnum):
    MEMBER = "member"  # one person reads it
    ANYONE = "anyone"  # a place several people read
    STEWARD = "steward"  # the data steward (CLI operator, a lead's own export)


@dataclass(frozen=True)
class Viewer:
    """Who will read what a surface shows."""

    audience: Audience
    member_id: int | None = None

    @classmethod
    def member(cls, member_id: int | None) -> Viewer:
        """One person alone; an unknown member sees what anyone sees."""
        if member_id is None:
            return cls(Audience.ANYONE)
        return cls(Audience.MEMBER, member_id)

    @classmethod
    def anyone(cls) -> Viewer:
        return cls(Audience.ANYONE)

    @classmethod
    def steward(cls) -> Viewer:
        return cls(Audience.STEWARD)


def may_see(story: Story, viewer: Viewer) -> bool:
    """Whether ``viewer`` may read this story's text."""
    if viewer.audience == Audience.STEWARD or story.shared:
        return True
    return viewer.audience == Audience.MEMBER and viewer.member_id in (
        story.author_member_id,
        story.captured_by_member_id,
    )


def visible_clause(viewer: Viewer) -> ColumnElement[bool]:
    """The same rule as :func:`may_see`, as a SQL condition on ``story``."""
    if viewer.audience == Audience.STEWARD:
        return true()
    shared = col(Story.shared).is_(True)
    if viewer.audience == Audience.ANYONE:
        return shared
    return or_(
        shared,
        col(Story.author_member_id) == viewer.member_id,
        col(Story.captured_by_member_id) == viewer.member_id,
    )
