"""A demo workspace with realistic stories, so a newcomer can try search and summaries at once.

Loading is idempotent: stories carry ``demo:<ref>`` source references and people and
departments are matched by name, so running it again adds nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from stories.capture import StoryDraft, capture_story
from stories.clock import Clock
from stories.departments import DepartmentSpec, add_department
from stories.errors import DuplicateError, InvalidFieldError
from stories.models import (
    Department,
    Emotion,
    Engagement,
    EngagementKind,
    Member,
    Platform,
    SourceKind,
    Workspace,
)
from stories.redaction import Redactor
from stories.workspaces import DEMO_WORKSPACE_ID, ensure_member, ensure_workspace

DEMO_WORKSPACE_NAME = "Sightline demo"
# Who works where in the demo company; customer-facing departments tell most stories.
DEMO_DEPARTMENTS: dict[str, tuple[bool, str, tuple[str, ...]]] = {
    "Support": (True, "Europe/London", ("Priya Nair", "Jamal Hughes")),
    "Sales": (True, "Europe/London", ("Marco Rossi",)),
    "Customer Success": (True, "America/New_York", ("Elena Petrova", "Aisha Karimi")),
    "Finance": (False, "Europe/London", ("Tom Becker", "Lena Fischer")),
    "Legal": (False, "Europe/London", ("Hannah Cole",)),
    "IT": (False, "America/New_York", ("Ravi Shah",)),
    "Operations": (False, "Europe/London", ("Ade Okafor", "Sam Whitfield")),
    "HR": (False, "Europe/London", ("Jo Adeyemi",)),
}


@dataclass(frozen=True)
class DemoReport:
    workspace: Workspace
    created: int
    already_present: int

    def summary(self) -> str:
        if not self.created:
            return (
                f"The demo workspace '{self.workspace.name}' already holds all "
                f"{self.already_present} demo stories; nothing was added."
            )
        return (
            f"Loaded {self.created} demo stories into the workspace '{self.workspace.name}'. "
            f"Try: sightline stories search refund --workspace {DEMO_WORKSPACE_ID}"
        )


def load_demo(*, session: Session, clock: Clock, redactor: Redactor, path: Path) -> DemoReport:
    """Create (or complete) the demo workspace from the shipped JSON Lines file.

    Raises:
        InvalidFieldError: the demo file is missing or malformed.
    """
    rows = _read(path)
    workspace = ensure_workspace(
        session=session,
        clock=clock,
        platform=Platform.LOCAL,
        external_id=DEMO_WORKSPACE_ID,
        name=DEMO_WORKSPACE_NAME,
    )
    ws = workspace.id or 0
    members = _people(session, clock, ws)
    now = clock.now()
    created = present = 0
    for row in rows:
        author = members[row["author"]]
        draft = StoryDraft(
            workspace_id=ws,
            text=row["text"],
            source_kind=SourceKind.CLI,
            source_ref=f"demo:{row['ref']}",
            author_member_id=author.id,
            customer_label=row.get("customer"),
            touchpoint=row.get("touchpoint"),
            emotion=Emotion(row["emotion"]) if row.get("emotion") else None,
            shared=True,
            created_at=now - timedelta(days=int(row["days_ago"]), hours=len(row["text"]) % 9),
        )
        result = capture_story(session=session, clock=clock, redactor=redactor, draft=draft)
        if not result.created:
            present += 1
            continue
        created += 1
        for offset, name in enumerate(row.get("resonates", [])):
            reader = members[name]
            session.add(
                Engagement(
                    workspace_id=ws,
                    story_id=result.story.id or 0,
                    member_id=reader.id or 0,
                    department_id=reader.department_id,
                    kind=EngagementKind.RESONATES,
                    created_at=result.story.created_at + timedelta(hours=2 + offset),
                )
            )
        try:
            session.commit()
        except IntegrityError:  # a concurrent load recorded them first
            session.rollback()
    return DemoReport(workspace=workspace, created=created, already_present=present)


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise InvalidFieldError(field="demo data", reason=f"{path} is missing")
    rows: list[dict[str, Any]] = []
    for line, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InvalidFieldError(field="demo data", reason=f"line {line}: {exc.msg}") from None
        rows.append(row)
    return rows


def _people(session: Session, clock: Clock, workspace_id: int) -> dict[str, Member]:
    people: dict[str, Member] = {}
    for name, (customer_facing, timezone, staff) in DEMO_DEPARTMENTS.items():
        try:
            department = add_department(
                session=session,
                clock=clock,
                workspace_id=workspace_id,
                spec=DepartmentSpec(name=name, customer_facing=customer_facing, timezone=timezone),
            )
        except DuplicateError:
            department = session.exec(
                select(Department).where(
                    Department.workspace_id == workspace_id,
                    Department.name_key == name.casefold(),
                )
            ).one()
        for person in staff:
            member = ensure_member(
                session=session,
                clock=clock,
                workspace_id=workspace_id,
                platform_user_id=f"demo:{person.lower().replace(' ', '.')}",
                display_name=person,
            )
            if member.department_id != department.id:
                member.department_id = department.id
                session.add(member)
                session.commit()
            people[person] = member
    return people
