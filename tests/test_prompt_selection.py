"""The prompt library, the touchpoint map, and choosing a story and a question."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from bot.settings import ROOT
from stories.capture import StoryDraft, capture_story
from stories.clock import FixedClock
from stories.departments import DepartmentSpec, add_department
from stories.errors import PromptLibraryError
from stories.models import (
    DeliveryStatus,
    Department,
    Engagement,
    EngagementKind,
    PromptDelivery,
    SourceKind,
    Story,
    StoryFeedback,
    Workspace,
)
from stories.prompt_library import (
    LibraryPrompt,
    list_library,
    load_library,
    load_touchpoints,
    sync_library,
    touchpoint_matches,
)
from stories.prompt_selection import choose_question, choose_story, preview_prompt
from stories.redaction import Redactor
from stories.workspaces import ensure_member

CONFIG = ROOT / "config"
AREAS = {"finance", "legal", "it", "hr", "operations", "engineering"}
WINDOW = timedelta(days=90)


def add_story(
    session: Session,
    clock: FixedClock,
    redactor: Redactor,
    workspace: Workspace,
    text: str,
    *,
    touchpoint: str | None = None,
    shared: bool = True,
    private: bool = False,
    days_ago: float = 0,
) -> Story:
    draft = StoryDraft(
        workspace_id=workspace.id or 0,
        text=text,
        source_kind=SourceKind.CLI,
        touchpoint=touchpoint,
        shared=shared,
        channel_private=private,
        created_at=clock.now() - timedelta(days=days_ago),
    )
    return capture_story(session=session, clock=clock, redactor=redactor, draft=draft).story


def add_dept(session: Session, clock: FixedClock, workspace: Workspace, name: str) -> Department:
    return add_department(
        session=session,
        clock=clock,
        workspace_id=workspace.id or 0,
        spec=DepartmentSpec(name=name, slack_channel_id=f"C{name.upper()[:6]}"),
    )


def sent(
    session: Session,
    department: Department,
    story: Story | None,
    at: datetime,
    template_id: int | None = None,
) -> PromptDelivery:
    row = PromptDelivery(
        workspace_id=department.workspace_id,
        target=f"department:{department.id}",
        department_id=department.id,
        occurrence_at=at,
        status=DeliveryStatus.SENT,
        story_id=story.id if story else None,
        template_id=template_id,
        sent_at=at,
    )
    session.add(row)
    session.commit()
    return row


# --- library and map -----------------------------------------------------------------------


def test_shipped_library_has_thirty_questions_across_every_area() -> None:
    prompts = load_library(CONFIG / "prompts.toml")
    assert len(prompts) >= 30
    per_area = Counter(p.area for p in prompts)
    assert set(per_area) >= AREAS
    assert all(per_area[area] >= 4 for area in AREAS)
    assert len({p.key for p in prompts}) == len(prompts)
    assert all(p.text.endswith("?") for p in prompts)


def test_sync_adds_updates_and_deactivates(session: Session) -> None:
    library = [
        LibraryPrompt("finance-01", "finance", "What did billing do here?"),
        LibraryPrompt("legal-01", "legal", "Which terms applied?"),
    ]
    first = sync_library(session=session, prompts=library)
    assert (first.added, first.updated, first.deactivated) == (2, 0, 0)
    again = sync_library(session=session, prompts=library)
    assert (again.added, again.updated, again.deactivated) == (0, 0, 0)
    changed = sync_library(
        session=session, prompts=[LibraryPrompt("finance-01", "finance", "Reworded?")]
    )
    assert (changed.added, changed.updated, changed.deactivated) == (0, 1, 1)
    assert [t.text for t in list_library(session=session)] == ["Reworded?"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[[prompt]]\nkey = "a"\narea = "it"\n', "needs key, area and text"),
        (
            '[[prompt]]\nkey = "a"\narea = "it"\ntext = "x?"\n'
            '[[prompt]]\nkey = "a"\narea = "hr"\ntext = "y?"\n',
            "used twice",
        ),
        ("[[prompt]\n", "not valid TOML"),
    ],
)
def test_malformed_library_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "prompts.toml"
    path.write_text(content)
    with pytest.raises(PromptLibraryError, match=message):
        load_library(path)
    with pytest.raises(PromptLibraryError, match="does not exist"):
        load_library(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("name", "area"),
    [
        ("Finance", "finance"),
        ("FINANCE", "finance"),
        ("IT", "it"),
        ("Information Technology", "it"),
        ("Legal & Compliance", "legal"),
        ("People Ops", "hr"),
        ("Human Resources", "hr"),
        ("Warehouse", "operations"),
        ("Product Engineering", "engineering"),
        ("Marketing", None),
        ("Digital", None),  # no accidental substring match on "it"
    ],
)
def test_departments_map_to_areas_by_name(name: str, area: str | None) -> None:
    assert load_touchpoints(CONFIG / "touchpoints.toml").area_for(name) == area


def test_touchpoints_per_area_and_slug_matching() -> None:
    mapping = load_touchpoints(CONFIG / "touchpoints.toml")
    assert {"billing", "refunds", "invoices", "payments", "pricing"} <= mapping.touchpoints_for(
        "finance"
    )
    assert {"contracts", "terms", "privacy", "consent"} <= mapping.touchpoints_for("legal")
    assert {"login", "access", "outages", "passwords", "app"} <= mapping.touchpoints_for("it")
    assert {"staff", "training", "hiring"} <= mapping.touchpoints_for("hr")
    assert {"delivery", "returns", "stock", "installation"} <= mapping.touchpoints_for("operations")
    assert {"app", "website", "bugs", "performance"} <= mapping.touchpoints_for("engineering")
    assert mapping.touchpoints_for(None) == frozenset()
    assert touchpoint_matches("refund-delay", {"refund"})
    assert not touchpoint_matches("delivery", {"billing"})
    assert not touchpoint_matches(None, {"billing"})


# --- choosing a story ----------------------------------------------------------------------


def test_only_shared_stories_and_private_ones_only_once_shared(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    finance = add_dept(session, clock, workspace, "Finance")
    add_story(
        session,
        clock,
        redactor,
        workspace,
        "Billed twice and nobody called back.",
        touchpoint="billing",
        shared=False,
    )
    add_story(
        session,
        clock,
        redactor,
        workspace,
        "Private refund mess, never shared out.",
        touchpoint="refunds",
        shared=False,
        private=True,
    )
    assert (
        choose_story(
            session=session,
            department=finance,
            touchpoints={"billing"},
            now=clock.now(),
            repeat_window=WINDOW,
        )
        is None
    )
    shared_private = add_story(
        session,
        clock,
        redactor,
        workspace,
        "Private refund story a lead chose to share.",
        touchpoint="refunds",
        shared=True,
        private=True,
    )
    choice = choose_story(
        session=session,
        department=finance,
        touchpoints={"refunds"},
        now=clock.now(),
        repeat_window=WINDOW,
    )
    assert choice is not None
    assert choice.story.id == shared_private.id
    assert choice.matched


def test_mapped_touchpoint_beats_newer_unmapped_and_falls_back(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    finance = add_dept(session, clock, workspace, "Finance")
    billing = add_story(
        session,
        clock,
        redactor,
        workspace,
        "Invoice arrived after the due date.",
        touchpoint="invoices",
        days_ago=20,
    )
    newer = add_story(
        session,
        clock,
        redactor,
        workspace,
        "The courier left the parcel in the rain.",
        touchpoint="delivery",
    )
    touchpoints = {"invoices", "billing"}
    choice = choose_story(
        session=session,
        department=finance,
        touchpoints=touchpoints,
        now=clock.now(),
        repeat_window=WINDOW,
    )
    assert choice is not None
    assert choice.story.id == billing.id
    assert choice.matched
    # Once the matching story was sent recently, the fallback is the unmatched one.
    sent(session, finance, billing, clock.now() - timedelta(days=1))
    fallback = choose_story(
        session=session,
        department=finance,
        touchpoints=touchpoints,
        now=clock.now(),
        repeat_window=WINDOW,
    )
    assert fallback is not None
    assert fallback.story.id == newer.id
    assert not fallback.matched
    sent(session, finance, newer, clock.now() - timedelta(hours=1))
    assert (
        choose_story(
            session=session,
            department=finance,
            touchpoints=touchpoints,
            now=clock.now(),
            repeat_window=WINDOW,
        )
        is None
    )


def test_repeat_window_is_per_department_and_expires(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    finance = add_dept(session, clock, workspace, "Finance")
    legal = add_dept(session, clock, workspace, "Legal")
    story = add_story(
        session,
        clock,
        redactor,
        workspace,
        "Charged a cancellation fee nobody explained.",
        touchpoint="billing",
    )
    sent(session, finance, story, clock.now() - timedelta(days=89))
    args: dict[str, Any] = {"touchpoints": {"billing"}, "repeat_window": WINDOW}
    assert choose_story(session=session, department=finance, now=clock.now(), **args) is None
    other = choose_story(session=session, department=legal, now=clock.now(), **args)
    assert other is not None
    assert other.story.id == story.id
    later = clock.now() + timedelta(days=2)  # 91 days after the send
    again = choose_story(session=session, department=finance, now=later, **args)
    assert again is not None
    assert again.story.id == story.id


def test_resonance_lifts_and_not_relevant_lowers_for_that_department_only(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    finance = add_dept(session, clock, workspace, "Finance")
    legal = add_dept(session, clock, workspace, "Legal")
    newest = add_story(
        session,
        clock,
        redactor,
        workspace,
        "A refund took six weeks to arrive.",
        touchpoint="refunds",
    )
    loved = add_story(
        session,
        clock,
        redactor,
        workspace,
        "A refund that arrived with a kind note.",
        touchpoint="refunds",
        days_ago=3,
    )
    args: dict[str, Any] = {"touchpoints": {"refunds"}, "repeat_window": WINDOW, "now": clock.now()}
    first = choose_story(session=session, department=finance, **args)
    assert first is not None
    assert first.story.id == newest.id
    for n in range(3):
        member = ensure_member(
            session=session, clock=clock, workspace_id=workspace.id or 0, platform_user_id=f"U{n}"
        )
        session.add(
            Engagement(
                workspace_id=workspace.id or 0,
                story_id=loved.id or 0,
                member_id=member.id or 0,
                kind=EngagementKind.RESONATES,
                created_at=clock.now(),
            )
        )
    session.commit()
    lifted = choose_story(session=session, department=finance, **args)
    assert lifted is not None
    assert lifted.story.id == loved.id
    session.add(
        StoryFeedback(
            workspace_id=workspace.id or 0,
            story_id=loved.id or 0,
            department_id=finance.id or 0,
            created_at=clock.now(),
        )
    )
    session.commit()
    lowered = choose_story(session=session, department=finance, **args)
    assert lowered is not None
    assert lowered.story.id == newest.id
    unaffected = choose_story(session=session, department=legal, **args)
    assert unaffected is not None
    assert unaffected.story.id == loved.id


# --- choosing a question -------------------------------------------------------------------


def test_questions_rotate_without_repeats_until_the_area_is_exhausted(
    session: Session, clock: FixedClock, workspace: Workspace
) -> None:
    library = load_library(CONFIG / "prompts.toml")
    sync_library(session=session, prompts=library)
    finance = add_dept(session, clock, workspace, "Finance")
    finance_keys = {p.key for p in library if p.area == "finance"}
    asked: list[str] = []
    at = clock.now()
    for _ in range(len(finance_keys) + 1):
        template = choose_question(session=session, department=finance, area="finance")
        assert template is not None
        asked.append(template.key)
        at += timedelta(days=7)
        sent(session, finance, None, at, template_id=template.id)
    assert set(asked[:-1]) == finance_keys
    assert len(set(asked[:-1])) == len(finance_keys)
    assert asked[-1] == asked[0]  # a new round starts only after every question was asked


def test_unmapped_department_gets_general_questions(
    session: Session, clock: FixedClock, redactor: Redactor, workspace: Workspace
) -> None:
    sync_library(session=session, prompts=load_library(CONFIG / "prompts.toml"))
    marketing = add_dept(session, clock, workspace, "Marketing")
    add_story(
        session,
        clock,
        redactor,
        workspace,
        "The website said in stock; it was not.",
        touchpoint="website",
    )
    preview = preview_prompt(
        session=session,
        department=marketing,
        touchpoint_map=load_touchpoints(CONFIG / "touchpoints.toml"),
        now=clock.now(),
        repeat_window=WINDOW,
    )
    assert preview.area is None
    assert preview.question is not None
    assert preview.question.area == "general"
    assert preview.story is not None
    assert not preview.story.matched
