"""Line-of-sight prompts: the question library, the touchpoint map and choosing what to send.

Platform-free: Slack and Teams renderers turn a `PromptMessage` into Block Kit or an
Adaptive Card; the scheduler in bot/ decides when.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from stories.errors import PromptLibraryError
from stories.models import (
    DeliveryStatus,
    Department,
    Engagement,
    EngagementKind,
    Platform,
    PromptDelivery,
    PromptTemplate,
    Story,
    StoryFeedback,
    Workspace,
)

GENERAL_AREA = "general"
MAX_CANDIDATES = 2000  # most recent shared stories considered for one prompt
RECENCY_HALF_LIFE_DAYS = 30.0
RESONANCE_WEIGHT = 0.35
NOT_RELEVANT_PENALTY = 0.75
NO_STORY_REASON = "no eligible story"
NO_QUESTION_REASON = "no active prompt questions in the library"
_WORD = re.compile(r"[a-z0-9&]+")


# --- what a platform receives --------------------------------------------------------------


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


@dataclass(frozen=True, kw_only=True)
class ReminderMessage:
    """One nudge in the prompt's thread; names nobody."""

    prompt: PromptMessage
    message_ref: str  # the platform's reference to the original prompt post
    answers_so_far: int
    text: str


@dataclass(frozen=True, kw_only=True)
class AuthorNotice:
    """A direct message to a story's author: another department reflected on their story."""

    workspace_external_id: str
    platform: str
    author_platform_user_id: str
    story_id: int
    story_excerpt: str
    department_name: str
    answer_text: str
    delivery_id: int
    permalink: str | None = None


# --- the library ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryPrompt:
    key: str
    area: str
    text: str


@dataclass(frozen=True)
class LibrarySync:
    added: int
    updated: int
    deactivated: int


def load_library(path: Path) -> list[LibraryPrompt]:
    """Read `config/prompts.toml`.

    Raises:
        PromptLibraryError: the file is missing, not TOML, or a prompt lacks key/area/text
            or repeats a key.
    """
    data = _read_toml(path)
    entries = data.get("prompt", [])
    if not isinstance(entries, list):
        raise PromptLibraryError(f"{path.name}: expected [[prompt]] tables")
    prompts: list[LibraryPrompt] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise PromptLibraryError(f"{path.name}: prompt {number} is not a table")
        key, area, text = (str(entry.get(name, "")).strip() for name in ("key", "area", "text"))
        if not key or not area or not text:
            raise PromptLibraryError(f"{path.name}: prompt {number} needs key, area and text")
        if key in seen:
            raise PromptLibraryError(f"{path.name}: the key {key!r} is used twice")
        if len(key) > 80 or len(area) > 40:
            raise PromptLibraryError(f"{path.name}: prompt {key!r} has a key or area too long")
        seen.add(key)
        prompts.append(LibraryPrompt(key=key, area=area.casefold(), text=" ".join(text.split())))
    return prompts


def sync_library(*, session: Session, prompts: Iterable[LibraryPrompt]) -> LibrarySync:
    """Make PromptTemplate match the library: add, update, deactivate what was removed.

    Rows are never deleted, so old deliveries and answers keep their question.
    Safe to run from several replicas: a key added concurrently is simply updated.
    """
    wanted = {prompt.key: prompt for prompt in prompts}
    existing = {t.key: t for t in session.exec(select(PromptTemplate))}
    added = updated = deactivated = 0
    for key, prompt in wanted.items():
        row = existing.get(key)
        if row is None:
            session.add(PromptTemplate(key=key, area=prompt.area, text=prompt.text, active=True))
            added += 1
        elif (row.area, row.text, row.active) != (prompt.area, prompt.text, True):
            row.area, row.text, row.active = prompt.area, prompt.text, True
            session.add(row)
            updated += 1
    for key, row in existing.items():
        if key not in wanted and row.active:
            row.active = False
            session.add(row)
            deactivated += 1
    try:
        session.commit()
    except IntegrityError:
        # Another replica inserted the same keys first; its rows are the same library.
        session.rollback()
        return LibrarySync(added=0, updated=0, deactivated=0)
    return LibrarySync(added=added, updated=updated, deactivated=deactivated)


def list_library(*, session: Session, area: str | None = None) -> list[PromptTemplate]:
    query = select(PromptTemplate).where(col(PromptTemplate.active).is_(True))
    if area:
        query = query.where(PromptTemplate.area == area.casefold())
    return list(session.exec(query.order_by(col(PromptTemplate.area), col(PromptTemplate.key))))


# --- departments to areas and touchpoints --------------------------------------------------


@dataclass(frozen=True)
class TouchpointMap:
    """Areas (finance, legal, …) with their department-name aliases and story touchpoints."""

    aliases: dict[str, frozenset[str]] = field(default_factory=dict)
    touchpoints: dict[str, frozenset[str]] = field(default_factory=dict)

    def area_for(self, department_name: str) -> str | None:
        """The area a department belongs to: exact alias first, then a whole-word alias."""
        name = " ".join(department_name.casefold().split())
        for area, names in self.aliases.items():
            if name in names:
                return area
        words = " " + " ".join(_WORD.findall(name)) + " "
        for area, names in self.aliases.items():
            if any(f" {alias} " in words for alias in names):
                return area
        return None

    def touchpoints_for(self, area: str | None) -> frozenset[str]:
        return self.touchpoints.get(area or "", frozenset())


def load_touchpoints(path: Path) -> TouchpointMap:
    """Read `config/touchpoints.toml`.

    Raises:
        PromptLibraryError: the file is missing or malformed.
    """
    data = _read_toml(path)
    areas = data.get("areas", {})
    if not isinstance(areas, dict):
        raise PromptLibraryError(f"{path.name}: expected [areas.<name>] tables")
    aliases: dict[str, frozenset[str]] = {}
    touchpoints: dict[str, frozenset[str]] = {}
    for area, spec in areas.items():
        if not isinstance(spec, dict):
            raise PromptLibraryError(f"{path.name}: [areas.{area}] is not a table")
        key = str(area).casefold()
        names = [str(n) for n in spec.get("aliases", [])] + [key]
        aliases[key] = frozenset(" ".join(n.casefold().split()) for n in names)
        touchpoints[key] = frozenset(str(t).strip().casefold() for t in spec.get("touchpoints", []))
    return TouchpointMap(aliases=aliases, touchpoints=touchpoints)


def _read_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise PromptLibraryError(f"{path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise PromptLibraryError(f"{path.name} is not valid TOML: {exc}") from None


def touchpoint_matches(touchpoint: str | None, wanted: Collection[str]) -> bool:
    """True when a story slug ("refund-delay") or any word of it is in ``wanted``."""
    if not touchpoint or not wanted:
        return False
    return touchpoint in wanted or any(part in wanted for part in touchpoint.split("-"))


# --- choosing a story and a question -------------------------------------------------------


@dataclass(frozen=True)
class StoryChoice:
    story: Story
    score: float
    matched: bool  # its touchpoint maps to the department (else a fallback)


_USED_STATUSES = (DeliveryStatus.SENT, DeliveryStatus.CLAIMED)


def choose_story(
    *,
    session: Session,
    department: Department,
    touchpoints: Collection[str],
    now: datetime,
    repeat_window: timedelta,
    exclude_delivery_id: int | None = None,
) -> StoryChoice | None:
    """The best shareable story for a department, or None when nothing is eligible.

    Only ``shared`` stories qualify (a private-channel story only once someone shared it).
    Stories whose touchpoint maps to the department come first; within each group the
    score is recency (halving every 30 days) plus resonance, minus each "not relevant" mark
    from this department. A story sent to this department within ``repeat_window`` is never
    chosen again.
    """
    recent = set(
        session.exec(
            select(PromptDelivery.story_id).where(
                PromptDelivery.department_id == department.id,
                col(PromptDelivery.story_id).is_not(None),
                col(PromptDelivery.status).in_(_USED_STATUSES),
                PromptDelivery.occurrence_at >= now - repeat_window,
                PromptDelivery.id != (exclude_delivery_id or -1),
            )
        )
    )
    stories = list(
        session.exec(
            select(Story)
            .where(
                Story.workspace_id == department.workspace_id,
                col(Story.shared).is_(True),
                Story.created_at <= now,
            )
            .order_by(col(Story.created_at).desc(), col(Story.id).desc())
            .limit(MAX_CANDIDATES)
        )
    )
    stories = [story for story in stories if story.id not in recent]
    if not stories:
        return None
    ids = [story.id for story in stories]
    resonance = _counts(
        session,
        select(Engagement.story_id, func.count())
        .where(
            col(Engagement.story_id).in_(ids),
            Engagement.kind == EngagementKind.RESONATES,
        )
        .group_by(col(Engagement.story_id)),
    )
    not_relevant = _counts(
        session,
        select(StoryFeedback.story_id, func.count())
        .where(
            col(StoryFeedback.story_id).in_(ids),
            StoryFeedback.department_id == department.id,
        )
        .group_by(col(StoryFeedback.story_id)),
    )
    choices = [
        StoryChoice(
            story=story,
            score=_score(story, now, resonance[story.id or 0], not_relevant[story.id or 0]),
            matched=touchpoint_matches(story.touchpoint, touchpoints),
        )
        for story in stories
    ]
    # Matched first, then best score, then newest id: deterministic on every replica.
    choices.sort(key=lambda c: (not c.matched, -c.score, -(c.story.id or 0)))
    return choices[0]


def _score(story: Story, now: datetime, resonates: int, not_relevant: int) -> float:
    age_days = max(0.0, (now - story.created_at).total_seconds() / 86400)
    recency = math.pow(0.5, age_days / RECENCY_HALF_LIFE_DAYS)
    return recency + RESONANCE_WEIGHT * math.log1p(resonates) - NOT_RELEVANT_PENALTY * not_relevant


def _counts(session: Session, query: object) -> Counter[int]:
    counts: Counter[int] = Counter()
    for story_id, count in session.exec(query):  # type: ignore[call-overload]
        counts[int(story_id)] = int(count)
    return counts


def choose_question(
    *, session: Session, department: Department, area: str | None
) -> PromptTemplate | None:
    """The next question for a department: never a repeat until its area's list is used up.

    Falls back to the general questions (then any area) when an area has none.
    """
    for wanted in (*([area] if area else []), GENERAL_AREA, None):
        query = select(PromptTemplate).where(col(PromptTemplate.active).is_(True))
        if wanted is not None:
            query = query.where(PromptTemplate.area == wanted)
        templates = list(session.exec(query.order_by(col(PromptTemplate.key))))
        if templates:
            break
    else:
        return None
    used = _counts(
        session,
        select(PromptDelivery.template_id, func.count())
        .where(
            PromptDelivery.department_id == department.id,
            col(PromptDelivery.template_id).is_not(None),
            col(PromptDelivery.status).in_(_USED_STATUSES),
        )
        .group_by(col(PromptDelivery.template_id)),
    )
    # The least-used question, in library order: a full round before any repeat.
    return min(templates, key=lambda t: (used[t.id or 0], t.key))


# --- where a department's prompts go -------------------------------------------------------


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


def reminder_text(*, answers_so_far: int, answer_by: datetime | None) -> str:
    """The one nudge: names nobody, says how many have answered."""
    if answers_so_far == 0:
        lead = "Nobody has reflected on this story yet."
    elif answers_so_far == 1:
        lead = "One person has reflected on this story so far."
    else:
        lead = f"{answers_so_far} people have reflected on this story so far."
    until = f" Answers are open until {answer_by:%a %d %b %H:%M} UTC." if answer_by else ""
    return f"{lead} If it touches your work, a sentence or two helps.{until}"


@dataclass(frozen=True)
class PromptPreview:
    """What a department would receive now; nothing is claimed or sent."""

    department: Department
    area: str | None
    story: StoryChoice | None
    question: PromptTemplate | None


def preview_prompt(
    *,
    session: Session,
    department: Department,
    touchpoint_map: TouchpointMap,
    now: datetime,
    repeat_window: timedelta,
) -> PromptPreview:
    area = touchpoint_map.area_for(department.name)
    return PromptPreview(
        department=department,
        area=area,
        story=choose_story(
            session=session,
            department=department,
            touchpoints=touchpoint_map.touchpoints_for(area),
            now=now,
            repeat_window=repeat_window,
        ),
        question=choose_question(session=session, department=department, area=area),
    )
