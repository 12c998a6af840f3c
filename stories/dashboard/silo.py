"""The silo matrix: how often each department engages (resonates, answers) with stories told
by each department in a period. The off-diagonal share is the summary's silo index."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from stories.departments import list_departments
from stories.models import Engagement, EngagementKind, PromptAnswer
from stories.periods import Period
from stories.summaries.model import ratio


@dataclass(frozen=True)
class SiloMatrix:
    departments: tuple[tuple[int, str], ...]  # (id, name), the rows and the columns
    cells: dict[tuple[int, int], int]  # (giver, teller) -> resonates + answers
    total: int
    across: int  # given to another department's stories

    @property
    def index(self) -> float | None:
        """The share across departments (the silo index); None with nothing to count."""
        return ratio(self.across, self.total)

    def cell(self, giver: int, teller: int) -> int:
        return self.cells.get((giver, teller), 0)


def silo_matrix(*, session: Session, workspace_id: int, period: Period) -> SiloMatrix:
    """The matrix for ``period`` (rows with both departments known, as the silo index counts)."""
    cells: Counter[tuple[int, int]] = Counter()
    tables: list[tuple[Any, list[Any]]] = [
        (Engagement, [col(Engagement.kind) == EngagementKind.RESONATES]),
        (PromptAnswer, [col(PromptAnswer.story_id).is_not(None)]),
    ]
    for table, where in tables:
        giver, teller = col(table.department_id), col(table.story_department_id)
        rows = session.exec(
            select(giver, teller, func.count())
            .where(
                *where,
                col(table.workspace_id) == workspace_id,
                col(table.created_at) >= period.start,
                col(table.created_at) < period.end,
                giver.is_not(None),
                teller.is_not(None),
            )
            .group_by(giver, teller)
        ).all()
        for a, b, n in rows:
            cells[(int(a), int(b))] += int(n)
    departments = tuple(
        (d.id or 0, d.name) for d in list_departments(session=session, workspace_id=workspace_id)
    )
    total = sum(cells.values())
    across = sum(n for (a, b), n in cells.items() if a != b)
    return SiloMatrix(departments=departments, cells=dict(cells), total=total, across=across)
